package io.meridian.gateway.impl.route;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One VirtualService {@code HTTPMatchRequest}: every condition it has must hold. The URI is the
 * service-relative path (after the gateway prefix that selected the service), so one rule reads
 * the same through the gateway and in the mesh.
 */
public final class Match {

  /** What a match reads from a request. */
  public interface Request {
    String method();

    /** The service-relative path, no query. */
    String servicePath();

    String authority();

    String scheme();

    /** First value of a request header, or {@code null}. */
    String header(String name);

    /** First value of a query parameter, or {@code null}. */
    String queryParam(String name);
  }

  private final StringMatch uri;
  private final StringMatch method;
  private final StringMatch authority;
  private final StringMatch scheme;
  private final String[] headerNames;
  private final StringMatch[] headerMatches;
  private final String[] withoutHeaderNames;
  private final StringMatch[] withoutHeaderMatches;
  private final String[] queryNames;
  private final StringMatch[] queryMatches;

  private Match(StringMatch uri, StringMatch method, StringMatch authority, StringMatch scheme, List<String> headerNames,
      List<StringMatch> headerMatches, List<String> withoutNames, List<StringMatch> withoutMatches, List<String> queryNames,
      List<StringMatch> queryMatches) {
    this.uri = uri;
    this.method = method;
    this.authority = authority;
    this.scheme = scheme;
    this.headerNames = headerNames.toArray(String[]::new);
    this.headerMatches = headerMatches.toArray(StringMatch[]::new);
    this.withoutHeaderNames = withoutNames.toArray(String[]::new);
    this.withoutHeaderMatches = withoutMatches.toArray(StringMatch[]::new);
    this.queryNames = queryNames.toArray(String[]::new);
    this.queryMatches = queryMatches.toArray(StringMatch[]::new);
  }

  public static Match of(JsonObject json) {
    boolean ignoreCase = json.getBoolean("ignoreUriCase", false);
    List<String> hn = new ArrayList<>();
    List<StringMatch> hm = new ArrayList<>();
    for (Map.Entry<String, Object> e : json.getJsonObject("headers", new JsonObject())) {
      hn.add(e.getKey());
      hm.add(StringMatch.of((JsonObject) e.getValue(), false));
    }
    List<String> wn = new ArrayList<>();
    List<StringMatch> wm = new ArrayList<>();
    for (Map.Entry<String, Object> e : json.getJsonObject("withoutHeaders", new JsonObject())) {
      wn.add(e.getKey());
      wm.add(StringMatch.of((JsonObject) e.getValue(), false));
    }
    List<String> qn = new ArrayList<>();
    List<StringMatch> qm = new ArrayList<>();
    for (Map.Entry<String, Object> e : json.getJsonObject("queryParams", new JsonObject())) {
      qn.add(e.getKey());
      qm.add(StringMatch.of((JsonObject) e.getValue(), false));
    }
    return new Match(StringMatch.of(json.getJsonObject("uri"), ignoreCase), StringMatch.of(json.getJsonObject("method"), false),
        StringMatch.of(json.getJsonObject("authority"), false), StringMatch.of(json.getJsonObject("scheme"), false),
        hn, hm, wn, wm, qn, qm);
  }

  /** The literal prefix of a {@code uri: {prefix: …}} condition, or {@code null}. */
  public String uriPrefix() {
    return uri == null ? null : uri.prefix();
  }

  public boolean test(Request r) {
    if (uri != null && !uri.test(r.servicePath())) {
      return false;
    }
    if (method != null && !method.test(r.method())) {
      return false;
    }
    if (authority != null && !authority.test(r.authority())) {
      return false;
    }
    if (scheme != null && !scheme.test(r.scheme())) {
      return false;
    }
    for (int i = 0; i < headerNames.length; i++) {
      if (!headerMatches[i].test(r.header(headerNames[i]))) {
        return false;
      }
    }
    for (int i = 0; i < withoutHeaderNames.length; i++) {
      String value = r.header(withoutHeaderNames[i]);
      if (value != null && withoutHeaderMatches[i].test(value)) {
        return false;
      }
    }
    for (int i = 0; i < queryNames.length; i++) {
      if (!queryMatches[i].test(r.queryParam(queryNames[i]))) {
        return false;
      }
    }
    return true;
  }
}
