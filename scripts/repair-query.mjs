/**
 * Makes the query part of a request URL decodable: a stray `%` (as in `?day=%ZZ`) becomes `%25`.
 * The path is left alone, so a malformed path is still refused.
 */
export function repairQuery(url) {
  try {
    decodeURI(url);
    return url;
  } catch {
    const at = url.indexOf("?");
    if (at < 0) return url;
    const path = url.slice(0, at);
    const original = url.slice(at);
    const query = original.replace(/%(?![0-9A-Fa-f]{2})/g, "%25");
    try {
      decodeURI(query);
      return path + query;
    } catch {
      // Escapes that are well-formed but not UTF-8: keep every `%` literally.
      return path + original.replaceAll("%", "%25");
    }
  }
}
