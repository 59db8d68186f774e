// /api/docs: Swagger UI (swagger-ui-dist, copied next to this file at build time) renders the
// server's OpenAPI document. A file of its own: the page's Content-Security-Policy runs no inline script.
const root = document.getElementById('api-docs');
window.SwaggerUIBundle({
  domNode: root,
  url: root.dataset.spec,
  deepLinking: true,
  validatorUrl: null,
  docExpansion: 'list',
  defaultModelsExpandDepth: 0,
  tryItOutEnabled: false,
});
