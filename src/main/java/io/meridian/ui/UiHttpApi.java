package io.meridian.ui;

import io.meridian.common.auth.Permission;
import io.meridian.common.error.ApiException;
import io.meridian.common.http.ApiModule;
import io.meridian.common.http.TokenAuth;
import io.meridian.ui.impl.UiEventStream;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import java.util.regex.Pattern;

/**
 * The web UI's REST resources (docs/ui.md, Server side): {@code GET /api/v1/ui/stream}, one
 * server-sent-events stream for the browser multiplexing registry changes, rule changes and a
 * telemetry summary every 5 s, each change type bounded to 20 events a second (a burst beyond
 * that becomes one {@code resync} event: refetch), a heartbeat every 15 s. READ permission; the
 * token may come as {@code Authorization: Bearer} or, since {@code EventSource} cannot set
 * headers, as {@code ?access_token=} ({@link TokenAuth#QUERY_TOKEN_PATHS}). It reaches the
 * registry, rules and telemetry roles over the bus only, so every node serves it.
 */
public final class UiHttpApi implements ApiModule {

  /** The stream's path. */
  public static final String STREAM = "/api/v1/ui/stream";

  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  private final UiEventStream.Settings settings;

  public UiHttpApi() {
    this(UiEventStream.Settings.DEFAULT);
  }

  /** With other rates (tests). */
  public UiHttpApi(UiEventStream.Settings settings) {
    this.settings = settings;
  }

  @Override
  public void mount(Router router, Vertx vertx) {
    router.get(STREAM).handler(TokenAuth.require(Permission.READ)).handler(ctx -> {
      for (String name : ctx.queryParams().names()) {
        if (!name.equals("tenant") && !name.equals(TokenAuth.QUERY_TOKEN_PARAM)) {
          throw ApiException.badRequest(name, "unknown parameter (allowed: tenant, " + TokenAuth.QUERY_TOKEN_PARAM + ")");
        }
      }
      String tenant = ctx.queryParams().get("tenant");
      if (tenant == null || tenant.isEmpty()) {
        tenant = "default";
      } else if (!LABEL.matcher(tenant).matches()) {
        throw ApiException.badRequest("tenant", "must be a DNS-1123 label");
      }
      UiEventStream.start(vertx, ctx, settings, tenant);
    });
  }
}
