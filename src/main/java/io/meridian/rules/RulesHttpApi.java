package io.meridian.rules;

import io.meridian.common.auth.Permission;
import io.meridian.common.error.ApiException;
import io.meridian.common.http.ApiModule;
import io.meridian.common.http.ApiResponses;
import io.meridian.common.http.TokenAuth;
import io.meridian.common.json.StrictJson;
import io.meridian.common.json.Yaml;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The rules' REST resources under {@code /api/v1/rules} (docs/rules.md): JSON or YAML in (by
 * {@code Content-Type}) and out (by {@code Accept}); validation errors and warnings carry
 * their JSON path and, for YAML input, their line.
 */
public final class RulesHttpApi implements ApiModule {

  static final String YAML = "application/yaml; charset=utf-8";
  private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");

  /** Documents of a request body, with line maps when it was YAML. */
  private record Body(JsonArray documents, List<Yaml.Document> yaml) {
    int lineOf(int document, String path) {
      return yaml == null || document >= yaml.size() ? 0 : yaml.get(document).lineOf(path);
    }
  }

  @Override
  public void mount(Router router, Vertx vertx) {
    RulesClient client = new RulesClient(vertx);
    Handler<RoutingContext> write = TokenAuth.require(Permission.WRITE_RULES);
    Handler<RoutingContext> read = TokenAuth.require(Permission.READ);

    router.post("/api/v1/rules/apply").handler(write).handler(ctx -> {
      Body body = body(ctx);
      String namespace = namespaceParam(ctx, "namespace", "default");
      boolean dryRun = "true".equals(ctx.request().getParam("dryRun"));
      respond(ctx, body, client.apply(body.documents(), namespace, dryRun, TokenAuth.principal(ctx)), 200);
    });
    router.get("/api/v1/rules/export").handler(read).handler(ctx -> {
      String namespace = namespaceParam(ctx, "namespace", null);
      client.export(namespace).onSuccess(reply -> {
        JsonArray docs = reply.getJsonArray("documents");
        if ("json".equals(ctx.request().getParam("format"))) {
          ApiResponses.json(ctx, 200, docs);
        } else {
          yaml(ctx, docs);
        }
      }).onFailure(ctx::fail);
    });
    router.get("/api/v1/rules").handler(read).handler(ctx -> {
      String kindParam = ctx.request().getParam("kind");
      RuleKind kind = kindParam == null ? null : kind(kindParam);
      client.list(kind, namespaceParam(ctx, "namespace", null)).onSuccess(reply -> {
        if (wantsYaml(ctx)) {
          yaml(ctx, reply.getJsonArray("rules"));
        } else {
          ApiResponses.json(ctx, 200, reply);
        }
      }).onFailure(ctx::fail);
    });
    router.get("/api/v1/rules/:kind/:namespace/:name").handler(read).handler(ctx -> {
      client.get(kind(ctx.pathParam("kind")), namespace(ctx), name(ctx)).onSuccess(reply -> {
        if (wantsYaml(ctx)) {
          ctx.response().putHeader("Content-Type", YAML).end(Yaml.dump(reply.getJsonObject("rule")));
        } else {
          ApiResponses.json(ctx, 200, reply.getJsonObject("rule"));
        }
      }).onFailure(ctx::fail);
    });
    router.put("/api/v1/rules/:kind/:namespace/:name").handler(write).handler(ctx -> {
      RuleKind kind = kind(ctx.pathParam("kind"));
      Body body = body(ctx);
      if (body.documents().size() != 1 || !(body.documents().getValue(0) instanceof JsonObject document)) {
        throw ApiException.badRequest(null, "expected exactly one rule document (use POST /api/v1/rules/apply for several)");
      }
      String namespace = namespace(ctx);
      String name = name(ctx);
      respond(ctx, body, client.put(kind, namespace, name, document, TokenAuth.principal(ctx)), -1);
    });
    router.delete("/api/v1/rules/:kind/:namespace/:name").handler(write).handler(ctx ->
        client.delete(kind(ctx.pathParam("kind")), namespace(ctx), name(ctx), ctx.request().getParam("resourceVersion"),
            TokenAuth.principal(ctx)).onSuccess(reply -> ApiResponses.json(ctx, 200, reply)).onFailure(ctx::fail));
    router.get("/api/v1/rules/:kind/:namespace/:name/history").handler(read).handler(ctx ->
        client.history(kind(ctx.pathParam("kind")), namespace(ctx), name(ctx))
            .onSuccess(reply -> ApiResponses.json(ctx, 200, reply)).onFailure(ctx::fail));
    router.post("/api/v1/rules/:kind/:namespace/:name/rollback").handler(write).handler(ctx -> {
      String revision = ctx.request().getParam("revision");
      long n;
      try {
        n = Long.parseLong(revision == null ? "" : revision);
      } catch (NumberFormatException e) {
        throw ApiException.badRequest("revision", "is required: the revision number to roll back to");
      }
      client.rollback(kind(ctx.pathParam("kind")), namespace(ctx), name(ctx), n, TokenAuth.principal(ctx))
          .onSuccess(reply -> ApiResponses.json(ctx, 200, reply)).onFailure(ctx::fail);
    });
  }

  /** Renders an apply/put reply; {@code status} -1 = 201 when created, else 200. Adds lines to issues. */
  private static void respond(RoutingContext ctx, Body body, Future<JsonObject> reply, int status) {
    reply.onSuccess(result -> {
      addLines(result.getJsonArray("results"), body);
      int code = status;
      if (code < 0) {
        JsonObject only = result.getJsonArray("results").getJsonObject(0);
        code = "created".equals(only.getString("action")) ? 201 : 200;
      }
      ApiResponses.json(ctx, code, result);
    }).onFailure(failure -> {
      if (failure instanceof ApiException api && api.details() != null && api.details().getJsonArray("results") != null) {
        JsonObject details = api.details().copy();
        addLines(details.getJsonArray("results"), body);
        ctx.fail(api.withDetails(details));
      } else {
        ctx.fail(failure);
      }
    });
  }

  private static void addLines(JsonArray results, Body body) {
    if (results == null || body.yaml() == null) {
      return;
    }
    for (int i = 0; i < results.size(); i++) {
      JsonObject result = results.getJsonObject(i);
      result.put("document", i);
      for (String list : new String[] {"errors", "warnings"}) {
        JsonArray issues = result.getJsonArray(list);
        if (issues != null) {
          for (int j = 0; j < issues.size(); j++) {
            JsonObject issue = issues.getJsonObject(j);
            issue.put("line", body.lineOf(i, issue.getString("path")));
          }
        }
      }
    }
  }

  /** The request body's documents: YAML (multi-document) or JSON (an object or a list of objects). */
  private static Body body(RoutingContext ctx) {
    String text = ctx.body() == null ? null : ctx.body().asString();
    if (text == null || text.isBlank()) {
      throw ApiException.badRequest(null, "request body is empty: expected rule documents (YAML or JSON)");
    }
    String type = ctx.request().getHeader("Content-Type");
    String lower = type == null ? "" : type.toLowerCase(Locale.ROOT);
    boolean json = lower.startsWith("application/json") || (lower.isEmpty() && (text.trim().startsWith("{") || text.trim().startsWith("[")));
    if (json) {
      if (text.trim().startsWith("[")) {
        try {
          Object value = Json.decodeValue(text);
          if (value instanceof JsonArray array) {
            return new Body(array, null);
          }
        } catch (DecodeException e) {
          throw ApiException.badRequest(null, "invalid JSON: " + e.getMessage());
        }
      }
      return new Body(new JsonArray().add(StrictJson.parseObject(text)), null);
    }
    if (!lower.isEmpty() && !lower.contains("yaml")) {
      throw new ApiException(io.meridian.common.error.ErrorCode.UNSUPPORTED_MEDIA_TYPE,
          "send rules as application/yaml or application/json (got " + type + ")");
    }
    List<Yaml.Document> docs;
    try {
      docs = Yaml.parseDocuments(text, Yaml.Limits.DEFAULT);
    } catch (Yaml.YamlException e) {
      throw ApiException.badRequest(null, "invalid YAML: " + e.getMessage())
          .withDetails(new JsonObject().put("line", e.line()));
    }
    JsonArray array = new JsonArray();
    docs.forEach(d -> array.add(d.value()));
    return new Body(array, new ArrayList<>(docs));
  }

  private static void yaml(RoutingContext ctx, JsonArray documents) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < documents.size(); i++) {
      if (i > 0) {
        out.append("---\n");
      }
      out.append(Yaml.dump(documents.getValue(i)));
    }
    ctx.response().putHeader("Content-Type", YAML).putHeader("Cache-Control", "no-store").end(out.toString());
  }

  private static boolean wantsYaml(RoutingContext ctx) {
    String accept = ctx.request().getHeader("Accept");
    return accept != null && accept.toLowerCase(Locale.ROOT).contains("yaml") || "yaml".equals(ctx.request().getParam("format"));
  }

  private static RuleKind kind(String value) {
    RuleKind kind = RuleKind.fromName(value);
    if (kind == null) {
      throw ApiException.badRequest("kind", "unknown kind '" + value + "' (kinds: " + RuleKind.names() + ")");
    }
    return kind;
  }

  private static String namespace(RoutingContext ctx) {
    String ns = ctx.pathParam("namespace");
    if (!NAMESPACE.matcher(ns).matches()) {
      throw ApiException.badRequest("namespace", "'" + ns + "' is not a namespace (a DNS-1123 label)");
    }
    return ns;
  }

  private static String namespaceParam(RoutingContext ctx, String param, String def) {
    String ns = ctx.request().getParam(param);
    if (ns == null || ns.isEmpty()) {
      return def;
    }
    if (!NAMESPACE.matcher(ns).matches()) {
      throw ApiException.badRequest(param, "'" + ns + "' is not a namespace (a DNS-1123 label)");
    }
    return ns;
  }

  private static String name(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    if (!NAME.matcher(name).matches()) {
      throw ApiException.badRequest("name", "'" + name + "' is not a valid rule name");
    }
    return name;
  }
}
