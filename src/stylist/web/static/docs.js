// /api/docs: Swagger UI (served by this server from the swagger-ui-bundle wheel) over /api/openapi.json.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({ url: root.dataset.spec, domNode: root, deepLinking: true,
                                validatorUrl: null, tryItOutEnabled: false });
});
