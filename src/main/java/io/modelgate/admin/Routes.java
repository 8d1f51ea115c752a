package io.modelgate.admin;

import java.util.Map;
import java.util.TreeMap;

/**
 * Admin handlers by path prefix; the longest prefix that the raw path starts with wins, and a
 * path no prefix claims gets the JSON 404. Prefixes match as strings, so handlers check the exact
 * path themselves. Immutable.
 */
record Routes(Map<String, AdminHandler> byPrefix) {
  Routes {
    byPrefix.keySet().forEach(Routes::checkPrefix);
    byPrefix = Map.copyOf(byPrefix);
  }

  static Routes of(Map<String, ? extends AdminHandler> routes) {
    return new Routes(new TreeMap<>(routes));
  }

  AdminHandler handlerFor(String rawPath) {
    AdminHandler best = request -> AdminResponse.notFound();
    int bestLength = -1;
    for (Map.Entry<String, AdminHandler> route : byPrefix.entrySet()) {
      String prefix = route.getKey();
      if (prefix.length() > bestLength && rawPath.startsWith(prefix)) {
        best = route.getValue();
        bestLength = prefix.length();
      }
    }
    return best;
  }

  private static void checkPrefix(String prefix) {
    if (!prefix.startsWith("/")) {
      throw new IllegalArgumentException("route prefix must start with '/': " + prefix);
    }
  }
}
