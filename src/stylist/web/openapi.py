"""The API's OpenAPI 3.1 document, served at /api/openapi.json; written by hand to match api.py and CONTRACT.md."""

from __future__ import annotations

from typing import Any

from stylist.limits import (
    MAX_ADAPTER_SCALE,
    MAX_CANDIDATES,
    MAX_CLIP_GUIDANCE,
    MAX_OPTIONS,
    MAX_SPIN_FPS,
    MAX_SPIN_SECONDS,
    MAX_STEPS,
    MIN_SPIN_FPS,
    MIN_SPIN_SECONDS,
)

# The drawing recipe a looks request may ask for: `stylist style`'s options, each optional.
RECIPE_PROPERTIES: dict[str, Any] = {
    "fast": {"type": "boolean", "default": False, "description": "a quick look: one candidate per option, few steps"},
    "candidates": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_CANDIDATES},
    "steps": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_STEPS},
    "clip_guidance": {"type": ["number", "null"], "minimum": 0, "maximum": MAX_CLIP_GUIDANCE},
    "product_scale": {"type": ["number", "null"], "minimum": 0, "maximum": MAX_ADAPTER_SCALE},
    "face_scale": {"type": ["number", "null"], "minimum": 0, "maximum": MAX_ADAPTER_SCALE},
    "size": {"type": ["string", "null"], "pattern": "^[0-9]+x[0-9]+$", "description": "WIDTHxHEIGHT, multiples of 16"},
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _ok(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _json_body(schema: dict[str, Any], required: bool = False) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def _path_id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


AUTH: list[dict[str, list[str]]] = [{"bearer": []}]
ERRORS_AUTH = {"401": _error("no token, or not a valid one"),
               "404": _error("no such thing, or it belongs to another user")}
SIZES = {"type": "object", "description": "slot (dress, top, bottom, outerwear, shoes) to size as you write it: "
         "\"M\", \"IT 40\", \"EU 39\", \"32/34\", \"one size\"", "additionalProperties": {"type": "string"}}
JOB_STARTED = {"202": _ok("queued", {"type": "object", "required": ["job_id"], "properties": {"job_id": {"type": "string"}}}),
               "400": _error("bad input"), **ERRORS_AUTH, "429": _error("too many jobs queued or running")}


def openapi_document() -> dict[str, Any]:
    product = {"type": "object", "properties": {
        "id": {"type": "integer"}, "designer": {"type": "string"}, "title": {"type": "string"},
        "price": {"type": ["number", "null"]}, "currency": {"type": "string"}, "url": {"type": "string"},
        "price_text": {"type": "string", "description": "formatted for the Accept-Language locale"},
        "image_url": {"type": ["string", "null"], "description": "signed, expiring"},
        "size": {"type": ["string", "null"], "description": "in a look: the shop's size in stock in your size for "
                 "this slot; null when you gave none, the slot takes none or the shop lists no sizes"},
        "also_at": {"type": "array", "description": "in a look: the same product in other shops (this one is the "
                    "cheapest with your size in stock); available: whether that shop has it in your size",
                    "items": {"type": "object", "properties": {
                        "shop": {"type": "string"}, "price": {"type": ["number", "null"]},
                        "currency": {"type": "string"}, "price_text": {"type": "string"}, "url": {"type": "string"},
                        "available": {"type": "boolean"}}}},
        "variants": {"type": "array", "description": "in the catalog: sizes and colours as the shop lists them",
                     "items": {"type": "object", "properties": {
                         "sku": {"type": "string"}, "size": {"type": "string"}, "color": {"type": "string"},
                         "available": {"type": "boolean"}, "price": {"type": ["number", "null"]},
                         "currency": {"type": "string"}, "url": {"type": "string"}}}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "stylist", "version": "1",
                 "description": "Looks of you wearing real products you can buy today. Media URLs are signed and expire."},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "the token POST /api/users answered with"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {
                    "error": {"type": "string"},
                    "rejected": {"type": "array", "items": {"type": "object", "properties": {
                        "name": {"type": "string"}, "reason": {"type": "string"}}}}}},
                "Product": product,
                "Job": {"type": "object", "required": ["id", "kind", "status", "progress", "message", "result", "error"],
                        "properties": {
                            "id": {"type": "string"}, "kind": {"enum": ["train", "looks", "video"]},
                            "status": {"enum": ["queued", "running", "succeeded", "failed", "canceled"]},
                            "progress": {"type": "number", "minimum": 0, "maximum": 1}, "message": {"type": "string"},
                            "result": {"type": ["object", "null"], "description":
                                       "train: {preset, steps, final_loss, seconds}; looks: {look_id}; "
                                       "video: {video_url, gif_url, seconds, fps, frames}"},
                            "error": {"type": ["string", "null"]}}},
            },
        },
        "paths": {
            "/api/health": {"get": {"summary": "Service status, preset and catalog size", "responses": {"200": _ok("ok", {
                "type": "object", "properties": {"status": {"const": "ok"}, "preset": {"type": "string"},
                                                 "catalog": {"type": "object", "properties": {
                                                     "products": {"type": "integer"},
                                                     "updated_at": {"type": ["string", "null"]}}},
                                                 "hint": {"type": "string", "description":
                                                          "only when nothing is purchasable: what the operator runs"}}})}}},
            "/api/docs": {"get": {"summary": "This document as an interactive page, served offline",
                                  "responses": {"200": {"description": "HTML", "content": {"text/html": {}}}}}},
            "/api/catalog": {"get": {
                "summary": "Purchasable products; with q, the lexical search (BM25 over designer, title, description, colour, category; typos forgiven; colours and categories named come first; a budget in q filters)",
                "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}},
                               {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 24}},
                               {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}}],
                "responses": {"200": _ok("products", {"type": "object", "properties": {
                    "products": {"type": "array", "items": {"$ref": "#/components/schemas/Product"}},
                    "total": {"type": "integer", "description": "purchasable products in all (with q: matching ones, up to 500)"},
                    "offset": {"type": "integer"}, "limit": {"type": "integer"}}}),
                    "400": _error("bad limit or offset")}}},
            "/api/users": {"post": {
                "summary": "Add yourself from 3 or 4 photos; answers your token (shown once)",
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                    "type": "object", "required": ["name", "photos", "consent"], "properties": {
                        "name": {"type": "string"},
                        "consent": {"type": "string", "enum": ["true"], "description": "the photos are of you, "
                                    "and you agree to their use to make your looks"},
                        "photos": {"type": "array", "minItems": 3, "maxItems": 4,
                                   "items": {"type": "string", "format": "binary"}},
                        "sizes": {"type": "string", "description": "optional: a JSON object of slot to size, such "
                                  "as {\"dress\": \"M\", \"shoes\": \"EU 39\"}; slots: dress, top, bottom, outerwear, shoes"}}}}}},
                "responses": {"201": _ok("created", {"type": "object", "properties": {
                    "id": {"type": "string"}, "token": {"type": "string"},
                    "photos": {"type": "array", "items": {"type": "string"}}, "warnings": {"type": "array", "items": {"type": "string"}},
                    "sizes": SIZES}}),
                    "400": _error("wrong number of photos, or too few usable ones (each refused photo in `rejected`)"),
                    "413": _error("a photo or the request is too large"), "415": _error("a file is not a JPEG, PNG or WebP image")}}},
            "/api/users/{user_id}": {
                "parameters": [_path_id("user_id")],
                "get": {"summary": "Your name, photos and intake warnings", "security": AUTH,
                        "responses": {"200": _ok("the user", {"type": "object"}), **ERRORS_AUTH}},
                "delete": {"summary": "Delete your photos, weights, looks, videos, jobs and choices", "security": AUTH,
                           "responses": {"204": {"description": "deleted"}, **ERRORS_AUTH}}},
            "/api/users/{user_id}/sizes": {
                "parameters": [_path_id("user_id")],
                "get": {"summary": "Your sizes, by slot", "security": AUTH,
                        "responses": {"200": _ok("your sizes", {"type": "object", "properties": {
                            "id": {"type": "string"}, "sizes": SIZES}}), **ERRORS_AUTH}},
                "put": {"summary": "Replace your sizes (a slot left out is cleared): looks then show, for those slots, "
                                   "only products in stock in your size", "security": AUTH,
                        "requestBody": _json_body({"type": "object", "properties": {"sizes": SIZES}}),
                        "responses": {"200": _ok("your sizes", {"type": "object", "properties": {
                            "id": {"type": "string"}, "sizes": SIZES}}),
                            "400": _error("an unknown slot, a slot that takes no size, or a size that is not text"),
                            **ERRORS_AUTH}}},
            "/api/users/{user_id}/train": {"post": {
                "summary": "Train your identity", "security": AUTH, "parameters": [_path_id("user_id")],
                "requestBody": _json_body({"type": "object", "properties": {"steps": {"type": "integer", "minimum": 1}}}),
                "responses": JOB_STARTED}},
            "/api/users/{user_id}/looks": {
                "parameters": [_path_id("user_id")],
                "post": {"summary": "Make looks for a prompt", "security": AUTH,
                         "requestBody": _json_body({"type": "object", "required": ["prompt"], "properties": {
                             "prompt": {"type": "string", "maxLength": 500},
                             "options": {"type": "integer", "minimum": 1, "maximum": MAX_OPTIONS, "default": 4},
                             "budget": {"type": ["number", "null"]}, "seed": {"type": ["integer", "null"]},
                             **RECIPE_PROPERTIES}}, True),
                         "responses": JOB_STARTED},
                "get": {"summary": "Your looks, oldest first", "security": AUTH,
                        "responses": {"200": _ok("looks", {"type": "object"}), **ERRORS_AUTH}}},
            "/api/jobs/{job_id}": {"get": {
                "summary": "A job's state, progress and result", "security": AUTH, "parameters": [_path_id("job_id")],
                "responses": {"200": _ok("the job", {"$ref": "#/components/schemas/Job"}), **ERRORS_AUTH}}},
            "/api/jobs/{job_id}/cancel": {"post": {
                "summary": "Cancel a queued job, or ask a running one to stop", "security": AUTH,
                "parameters": [_path_id("job_id")],
                "responses": {"200": _ok("the job", {"$ref": "#/components/schemas/Job"}), **ERRORS_AUTH}}},
            "/api/looks/{look_id}": {"get": {
                "summary": "A look: its options, each an image with the products it is made of", "security": AUTH,
                "parameters": [_path_id("look_id")],
                "responses": {"200": _ok("the look", {"type": "object", "properties": {
                    "look_id": {"type": "string"}, "prompt": {"type": "string"},
                    "notes": {"type": "array", "items": {"type": "string"},
                              "description": "what the shopper should know: no matching products, a sold-out item"},
                    "budget": {"type": ["object", "null"], "properties": {
                        "amount": {"type": "number"}, "currency": {"type": ["string", "null"]}, "text": {"type": "string"}}},
                    "recipe": {"type": ["object", "null"], "description": "how the pictures were drawn, as "
                               "`stylist style --json` records it under `settings`: fast, candidates, steps, "
                               "guidance_scale, face_scale, product_scale, clip_guidance, size ([width, height])"},
                    "chosen": {"type": ["object", "null"], "description": "your pick in this look, its rating and spin",
                               "properties": {"option_id": {"type": "string"}, "rating": {"type": ["integer", "null"]},
                                              "spin": {"type": ["object", "null"], "properties": {
                                                  "video_url": {"type": "string"}, "gif_url": {"type": "string"}}}}},
                    "options": {"type": "array", "description": "best first", "items": {"type": "object", "properties": {
                        "id": {"type": "string"}, "image_url": {"type": "string"}, "score": {"type": "number"},
                        "best": {"type": "boolean", "description": "the first option, the fashion CLIP's best"},
                        "total": {"type": "object", "properties": {
                            "amounts": {"type": "array", "items": {"type": "object", "properties": {
                                "amount": {"type": "number"}, "currency": {"type": "string"}}}},
                            "text": {"type": "string", "description": "formatted for the Accept-Language locale"},
                            "within_budget": {"type": ["boolean", "null"]}}},
                        "products": {"type": "array", "items": {"$ref": "#/components/schemas/Product"}},
                        "references": {"type": "array", "items": {"type": "integer"},
                                       "description": "ids of the products whose own images the picture was drawn from"},
                    }}}}}),
                    **ERRORS_AUTH}}},
            "/api/options/{option_id}/select": {"post": {
                "summary": "Pick this option as your favourite, optionally rated 1 to 5", "security": AUTH,
                "parameters": [_path_id("option_id")],
                "requestBody": _json_body({"type": "object", "properties": {"rating": {"type": "integer", "minimum": 1, "maximum": 5}}}),
                "responses": {"200": _ok("recorded", {"type": "object"}), "400": _error("bad rating"), **ERRORS_AUTH}}},
            "/api/options/{option_id}/video": {"post": {
                "summary": "Make a spin video of this option", "security": AUTH, "parameters": [_path_id("option_id")],
                "requestBody": _json_body({"type": "object", "properties": {
                    "seconds": {"type": "integer", "minimum": MIN_SPIN_SECONDS, "maximum": MAX_SPIN_SECONDS, "default": 3},
                    "fps": {"type": "integer", "minimum": MIN_SPIN_FPS, "maximum": MAX_SPIN_FPS, "default": 8}}}),
                "responses": JOB_STARTED}},
            "/api/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3.1"}}}},
        },
    }
