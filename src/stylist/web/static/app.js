// The page's script: upload → train → looks → pick → spin → delete, all through the JSON API under /api.
// Everything shown from the server is set with textContent or attributes, never as HTML.
"use strict";

const MAX_PHOTOS = 4;
const POLL_MS = 700;
const FINAL = new Set(["succeeded", "failed", "canceled"]);
const $ = (id) => document.getElementById(id);
// A reference-editing preset (klein) needs no training: looks come straight from the photos.
const INSTANT = document.body.dataset.instant === "true";
// `spins` counts the picks and new looks: a spin finishing after another began is not shown.
const state = { files: [], user: null, token: null, trained: INSTANT, spins: 0, sizes: {} };

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== null && value !== undefined) node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

async function api(method, path, body) {
  const headers = {};
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  let payload = body;
  if (body && !(body instanceof FormData)) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const response = await fetch(path, { method, headers, body: payload });
  const data = response.status === 204 ? {} : await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(data.error || `the server answered ${response.status}`);
    error.status = response.status;
    error.data = data;
    throw error;
  }
  return data;
}

// --- photos ----------------------------------------------------------------------------------------------

function addFiles(list) {
  for (const file of list) {
    if (state.files.length >= MAX_PHOTOS) {
      $("start-error").textContent = `At most ${MAX_PHOTOS} photos; remove one to add another.`;
      break;
    }
    state.files.push(file);
  }
  showPreviews();
}

function distinctNames(files) {
  // "IMG_1 (2).jpg" for the second file of a name, as the server names it (web/uploads.py), so that each
  // refusal marks one photo: two phones' photos are often both IMG_0001.jpg.
  const seen = new Set();
  return files.map((file) => {
    const given = file.name.slice(0, 100);  // as long as the server keeps a name
    const dot = given.lastIndexOf(".");
    const [stem, extension] = dot > 0 ? [given.slice(0, dot), given.slice(dot)] : [given, ""];
    let name = given;
    for (let copy = 2; seen.has(name); copy += 1) name = `${stem} (${copy})${extension}`;
    seen.add(name);
    return name;
  });
}

function showPreviews(reasons = {}) {
  const list = $("previews");
  list.replaceChildren();
  const names = distinctNames(state.files);
  state.files.forEach((file, index) => {
    const name = names[index];
    const remove = element("button", { type: "button", class: "quiet", "aria-label": `Remove ${name}` }, "remove");
    remove.addEventListener("click", () => { state.files.splice(index, 1); showPreviews(); });
    const item = element("li", { "data-name": name }, element("img", { src: URL.createObjectURL(file), alt: name }),
                         element("span", {}, name), remove);
    if (reasons[name]) {
      item.classList.add("refused");
      item.append(element("span", { class: "reason" }, reasons[name]));
    }
    list.append(item);
  });
}

function setupDrop() {
  const drop = $("drop");
  drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    addFiles(event.dataTransfer.files);
  });
  drop.addEventListener("keydown", (event) => { if (event.key === "Enter" || event.key === " ") $("photos").click(); });
  $("photos").addEventListener("change", (event) => { addFiles(event.target.files); event.target.value = ""; });
}

// --- jobs ------------------------------------------------------------------------------------------------

function timeLeft(seconds, progress) {
  // From the job's own rate so far: what is left at the pace it has kept since it started running.
  if (progress < 0.02 || seconds < 2) return "";
  const left = (seconds * (1 - progress)) / progress;
  if (left < 5) return ", almost done";
  return left < 90 ? `, about ${Math.ceil(left / 5) * 5} s left` : `, about ${Math.round(left / 60)} min left`;
}

async function follow(jobId, bar, message, doing) {
  // The shopper reads what is being done and the time left; the worker's own words stay in the tooltip.
  let running = null;
  for (;;) {
    const job = await api("GET", `/api/jobs/${jobId}`);
    $(bar).value = job.progress;
    if (job.status === "running" && running === null) running = performance.now();
    const seconds = running === null ? 0 : (performance.now() - running) / 1000;
    $(message).textContent = job.status === "queued" ? "waiting for its turn…"
      : job.status === "succeeded" ? "done" : `${doing}${timeLeft(seconds, job.progress)}`;
    $(message).title = job.message || "";
    if (FINAL.has(job.status)) {
      if (job.status !== "succeeded") throw new Error(job.error || `the job was ${job.status}`);
      return job.result;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function trainingSteps() {
  // ?steps=N shortens training, for demos and tests on the tiny preset.
  const steps = Number(new URLSearchParams(location.search).get("steps"));
  return Number.isInteger(steps) && steps > 0 ? { steps } : {};
}

async function start(event) {
  // The first time: upload, train, then looks. Once the person exists, only new looks for a new prompt.
  event.preventDefault();
  $("start-error").textContent = "";
  const prompt = $("prompt").value.trim();
  if (!state.user && !(await join())) return;
  if (!prompt) {
    $("start-error").textContent = "Say what you want to wear.";
    return;
  }
  if (!(await saveSizes())) return;
  $("go").disabled = true;
  $("progress").hidden = false;
  $("progress-error").textContent = "";
  try {
    $("train-step").hidden = state.trained;  // learnt once: later looks do not show an empty bar for it
    if (!state.trained) {
      const train = await api("POST", `/api/users/${state.user}/train`, trainingSteps());
      await follow(train.job_id, "train-bar", "train-message", "Learning your face");
      state.trained = true;
    }
    const budget = $("budget").value ? Number($("budget").value) : null;
    const looks = await api("POST", `/api/users/${state.user}/looks`,
                            { prompt, options: Number($("options").value) || 4, budget, seed: null,
                              fast: $("quality").value === "quick" });
    const result = await follow(looks.job_id, "looks-bar", "looks-message", "Drawing your looks");
    await showLook(result.look_id);
  } catch (error) {
    $("progress-error").textContent = error.message;
  } finally {
    $("go").disabled = false;
  }
}

async function join() {
  // Add the person from their photos; false (with each refused photo's reason shown) when refused.
  $("notes").replaceChildren();
  const name = $("name").value.trim();
  if (!name || !$("prompt").value.trim() || state.files.length < 3) {
    $("start-error").textContent = "Give your name, 3 or 4 photos and what you want to wear.";
    return false;
  }
  if (!$("consent").checked) {
    $("start-error").textContent = "Tick the box to confirm the photos are of you and that you agree to their use.";
    return false;
  }
  const form = new FormData();
  form.append("name", name);
  form.append("consent", "true");
  const sizes = sizesGiven();
  if (Object.keys(sizes).length) form.append("sizes", JSON.stringify(sizes));
  const names = distinctNames(state.files);
  state.files.forEach((file, index) => form.append("photos", file, names[index]));
  $("go").disabled = true;
  try {
    const user = await api("POST", "/api/users", form);
    remember(user.id, user.token);
    state.sizes = user.sizes || {};
    showSignedIn({ name, photos: user.photos });
    for (const warning of user.warnings) $("notes").append(element("li", {}, warning));
    return true;
  } catch (error) {
    const reasons = Object.fromEntries((error.data?.rejected || []).map((r) => [r.name, r.reason]));
    showPreviews(reasons);
    $("start-error").textContent = error.message;
    return false;
  } finally {
    $("go").disabled = false;
  }
}

// --- sizes -----------------------------------------------------------------------------------------------

function sizesGiven() {
  // {slot: size} for the boxes filled in; an empty box means any size.
  const sizes = {};
  for (const input of document.querySelectorAll("#sizes input[data-slot]")) {
    if (input.value.trim()) sizes[input.dataset.slot] = input.value.trim();
  }
  return sizes;
}

function showSizes(sizes) {
  state.sizes = sizes || {};
  for (const input of document.querySelectorAll("#sizes input[data-slot]")) input.value = state.sizes[input.dataset.slot] || "";
  if (Object.keys(state.sizes).length) $("sizes").open = true;
}

async function saveSizes() {
  // A signed-in person's changed sizes are saved before their next look is asked for.
  const sizes = sizesGiven();
  if (JSON.stringify(sizes) === JSON.stringify(state.sizes || {})) return true;
  try {
    showSizes((await api("PUT", `/api/users/${state.user}/sizes`, { sizes })).sizes);
    return true;
  } catch (error) {
    $("start-error").textContent = error.message;
    return false;
  }
}

function skipSizes() {
  for (const input of document.querySelectorAll("#sizes input[data-slot]")) input.value = "";
  $("sizes").open = false;
}

// --- looks -----------------------------------------------------------------------------------------------

function productItem(product) {
  return element("li", { class: "product" },
    product.image_url ? element("img", { src: product.image_url, alt: "", loading: "lazy" }) : element("span"),
    element("span", {}, element("span", { class: "designer" }, product.designer || ""), product.title || "",
            element("br"), product.price_text || "",
            product.size ? element("span", { class: "size" }, ` · size ${product.size}`) : "",
            alsoAt(product.also_at || [])),
    element("a", { href: product.url, target: "_blank", rel: "noopener noreferrer", class: "buy" }, "Buy"));
}

function alsoAt(others) {
  // The same product in other shops; this one is the cheapest with the person's size in stock.
  const selling = others.filter((other) => other.available);
  if (!selling.length) return "";
  return element("small", { class: "also-at" }, element("br"), "also at ",
    ...selling.flatMap((other, index) => [index ? ", " : "",
      element("a", { href: other.url, target: "_blank", rel: "noopener noreferrer" }, other.shop),
      other.price_text ? ` (${other.price_text})` : ""]));
}

async function showLook(lookId) {
  // Options come best first; the first is marked. Notes say what the shopper should know (no products, ...).
  const look = await api("GET", `/api/looks/${lookId}`);
  $("look-prompt").textContent = `“${look.prompt}”`;
  $("look-notes").replaceChildren(...look.notes.map((note) => element("li", {}, note)));
  $("look-recipe").textContent = look.recipe?.fast
    ? "A quick look: one try for each option. Ask again with “best” for the better of two." : "";
  clearSpin();  // the previous look's spin is not this one's; showChosen brings back this look's own
  const grid = $("looks");
  grid.replaceChildren();
  look.options.forEach((option, index) => {
    const rating = element("select", { "aria-label": "Your rating" }, element("option", { value: "" }, "rate…"),
                           ...[1, 2, 3, 4, 5].map((n) => element("option", { value: n }, "★".repeat(n))));
    const choose = element("button", { type: "button", class: "this-one" }, "This one");
    // Products the picture was drawn from (their own photos were given to the model) apart from those only listed.
    const drawn = new Set(option.references || []);
    const items = option.products.map((product) => {
      const item = productItem(product);
      item.append(element("small", { class: drawn.has(product.id) ? "drawn" : "listed" },
                          drawn.has(product.id) ? "in the picture" : "listed only"));
      return item;
    });
    const total = element("p", { class: "total" });
    if (option.total.text) {
      total.append(`Total ${option.total.text}`);
      if (option.total.within_budget && look.budget) total.append(" ", element("small", {}, `within ${look.budget.text}`));
    }
    const card = element("article", { class: "look", "data-option": option.id },
      ...(option.best ? [element("span", { class: "best" }, "Best match")] : []),
      element("img", { src: option.image_url, alt: `Look ${index + 1}` }),
      total,
      element("ul", {}, ...items),
      element("div", { class: "choose" }, choose, rating));
    choose.addEventListener("click", () => pick(option.id, card, rating.value));
    // A rating given or changed after the pick (while or after the spin plays) is saved at once.
    rating.addEventListener("change", () => {
      if (card.classList.contains("chosen") && rating.value) rate(option.id, rating.value);
    });
    grid.append(card);
  });
  $("gallery").hidden = false;
  return look;
}

function showChosen(chosen) {
  // What the person picked in this look before: the card, its rating and its spin.
  const card = document.querySelector(`.look[data-option="${CSS.escape(chosen.option_id)}"]`);
  if (!card) return;
  card.classList.add("chosen");
  if (chosen.rating) card.querySelector("select").value = String(chosen.rating);
  if (chosen.spin) {
    $("spin-section").hidden = false;
    showSpin(chosen.spin);
  }
}

function clearSpin() {
  state.spins += 1;
  $("spin-section").hidden = true;
  $("video-error").textContent = "";
  $("spin").hidden = true;
  $("spin").removeAttribute("src");
  $("gif").hidden = true;
}

function showSpin(video) {
  // The player appears only once there is a video; until then its progress stands in its place.
  $("video-progress").hidden = true;
  $("spin").src = video.video_url;
  $("spin").hidden = false;
  $("gif").href = video.gif_url;
  $("gif").hidden = false;
}

async function pick(optionId, card, rating) {
  document.querySelectorAll(".look").forEach((each) => each.classList.remove("chosen"));
  card.classList.add("chosen");
  document.querySelectorAll(".this-one").forEach((button) => { button.disabled = true; });
  clearSpin();
  const mine = state.spins;
  $("spin-section").hidden = false;
  $("video-progress").hidden = false;
  $("video-bar").value = 0;
  try {
    await api("POST", `/api/options/${optionId}/select`, rating ? { rating: Number(rating) } : {});
    const job = await api("POST", `/api/options/${optionId}/video`, { seconds: 3, fps: 8 });
    const video = await follow(job.job_id, "video-bar", "video-message", "Making your spin");
    if (mine === state.spins) showSpin(video);
  } catch (error) {
    if (mine === state.spins) $("video-error").textContent = error.message;
  } finally {
    document.querySelectorAll(".this-one").forEach((button) => { button.disabled = false; });
  }
}

async function rate(optionId, rating) {
  // The pick stays as it is: the same select call with the rating only updates it.
  try {
    await api("POST", `/api/options/${optionId}/select`, { rating: Number(rating) });
  } catch (error) {
    $("video-error").textContent = error.message;
  }
}

// --- your data -------------------------------------------------------------------------------------------

// The token is kept in this browser (localStorage), so that a reload or a new tab finds the person again.
function remember(user, token) {
  state.user = user;
  state.token = token;
  localStorage.setItem("stylist", JSON.stringify({ user, token }));
  $("delete").disabled = false;
}

function forget() {
  localStorage.removeItem("stylist");
  state.user = state.token = null;
  $("delete").disabled = true;
  showSignedIn(null);
}

function showSignedIn(user) {
  // Signed in: who, their stored photos instead of the upload box, and a way out for someone else.
  $("signed-in").hidden = !user;
  for (const node of document.querySelectorAll(".for-newcomers")) node.hidden = Boolean(user);
  if (!user) return;
  $("signed-name").textContent = user.name;
  $("name").value = user.name;
  $("name").readOnly = true;
  state.files = [];
  $("previews").replaceChildren(...user.photos.map((url, index) =>
    element("li", { class: "stored" }, element("img", { src: url, alt: `Your photo ${index + 1}` }))));
}

async function deleteEverything() {
  const what = INSTANT ? "photos, looks and videos" : "photos, trained model, looks and videos";
  if (!state.user || !confirm(`Delete your ${what}? This cannot be undone.`)) return;
  try {
    await api("DELETE", `/api/users/${state.user}`);
  } catch (error) {
    if (error.status !== 401 && error.status !== 404) { alert(error.message); return; }
  }
  forget();
  $("name").readOnly = false;
  state.trained = INSTANT;
  state.files = [];
  $("consent").checked = false;  // the next person gives their own consent
  showSizes({});
  $("sizes").open = false;
  showPreviews();
  for (const id of ["progress", "gallery"]) $(id).hidden = true;
  clearSpin();
  $("looks").replaceChildren();
  $("go").disabled = false;
  $("deleted").hidden = false;
}

async function restore() {
  // A reload finds the person from the stored token: name, photos, latest look, their pick, rating and spin.
  let saved = null;
  try { saved = JSON.parse(localStorage.getItem("stylist") || "null"); } catch { saved = null; }
  if (!saved?.user || !saved?.token) return;
  remember(saved.user, saved.token);
  try {
    const user = await api("GET", `/api/users/${saved.user}`);
    showSignedIn(user);
    showSizes(user.sizes);
    const { looks } = await api("GET", `/api/users/${saved.user}/looks`);
    if (looks.length) {
      state.trained = true;
      const latest = looks[looks.length - 1];
      $("prompt").value = latest.prompt;
      const look = await showLook(latest.look_id);
      if (look.chosen) showChosen(look.chosen);
    }
  } catch (error) {
    if (error.status === 401 || error.status === 404) forget();
  }
}

// --- catalog ---------------------------------------------------------------------------------------------

const CATALOG_PAGE = 12;
let catalogQuery = null;  // the search whose results are shown, so that a late answer to an older one is dropped

async function searchCatalog(more = false) {
  // The catalog's own lexical search (typos forgiven, colours and categories first), a page at a time.
  const q = $("catalog-q").value.trim();
  const list = $("catalog-results");
  const offset = more ? list.children.length : 0;
  catalogQuery = q;
  let page;
  try {
    page = await api("GET", `/api/catalog?${new URLSearchParams({ q, limit: CATALOG_PAGE, offset })}`);
  } catch (error) {
    $("catalog-count").textContent = error.message;
    return;
  }
  if (q !== catalogQuery) return;
  if (!more) list.replaceChildren();
  list.append(...page.products.map(productItem));
  const shown = list.children.length;
  $("catalog-count").textContent = page.total === 0
    ? (q ? `Nothing for sale matches “${q}”.` : "Nothing is for sale yet.")
    : `${page.total} products for sale${q ? ` match “${q}”` : ""}; showing ${shown}.`;
  $("catalog-more").hidden = shown >= page.total;
}

function setupCatalog() {
  let timer = null;
  $("catalog-q").addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => searchCatalog(), 250); });
  $("catalog-form").addEventListener("submit", (event) => { event.preventDefault(); searchCatalog(); });
  $("catalog-more").addEventListener("click", () => searchCatalog(true));
  searchCatalog();
}

async function showCatalogHint() {
  // An empty catalog: looks would come without products, so the page says so in a shopper's words (the
  // operator's command is in /api/health's `hint`).
  try {
    const health = await api("GET", "/api/health");
    const empty = health.catalog && health.catalog.products === 0;
    $("catalog-hint").textContent = empty
      ? "There is nothing to buy here yet: your looks will show what you describe, without products to buy." : "";
    $("catalog-hint").hidden = !empty;
  } catch {
    // The page works without it.
  }
}

document.addEventListener("DOMContentLoaded", () => {
  setupDrop();
  $("start-form").addEventListener("submit", start);
  $("delete").addEventListener("click", deleteEverything);
  $("skip-sizes").addEventListener("click", skipSizes);
  $("not-you").addEventListener("click", () => { forget(); location.reload(); });
  showCatalogHint();
  setupCatalog();
  restore();
});
