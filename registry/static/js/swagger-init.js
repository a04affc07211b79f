// Starts Swagger UI on /api/v1/docs. It lives here, not inline in the page, so that the page
// runs under the same Content-Security-Policy as every other (script-src 'self').
window.addEventListener("load", function () {
  var container = document.getElementById("swagger-ui-container");
  window.ui = SwaggerUIBundle({url: container.dataset.specUrl, dom_id: "#swagger-ui-container"});
});
