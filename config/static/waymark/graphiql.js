// GraphiQL for Waymark: the session cookie and the CSRF token (from the page) go with
// every request, as the API expects of browser callers. Assets are served by Waymark.
(function () {
  "use strict";
  var root = document.getElementById("graphiql");
  var url = window.location.href.split("?")[0];
  var headers = { "X-CSRFToken": root.dataset.csrfToken };

  // Keep the query in the address bar (as "q": "query" would run it as a GET request),
  // so a query can be shared as a link.
  var parameters = new URLSearchParams(window.location.search);
  function remember(name, value) {
    if (value) { parameters.set(name, value); } else { parameters.delete(name); }
    history.replaceState(null, "", "?" + parameters.toString());
  }

  var fetcher = GraphiQL.createFetcher({ url: url, headers: headers });
  var explorer = GraphiQLPluginExplorer.explorerPlugin();

  function App() {
    return React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      plugins: [explorer],
      query: parameters.get("q") || undefined,
      variables: parameters.get("variables") || undefined,
      onEditQuery: function (value) { remember("q", value); },
      onEditVariables: function (value) { remember("variables", value); },
      inputValueDeprecation: true,
      shouldPersistHeaders: false,
    });
  }

  ReactDOM.createRoot(root).render(React.createElement(App));
})();
