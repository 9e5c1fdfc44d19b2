/**
 * The host's REST API under /api/v1 (docs/HOST.md): {@link jvisor.api.ApiServer} sets up Javalin,
 * the token check, limits and the JSON errors; {@code Routes} maps each route to one call on the
 * host; {@code ConsoleSocket} serves consoles over WebSocket. The OpenAPI document is the
 * resource {@code openapi.json} beside these classes.
 */
package jvisor.api;
