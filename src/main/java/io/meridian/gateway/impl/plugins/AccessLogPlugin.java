package io.meridian.gateway.impl.plugins;

import io.meridian.gateway.Exchange;
import io.meridian.gateway.GatewayPlugin;
import io.meridian.gateway.Phase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per request on logger {@code io.meridian.gateway.access}: client, method, URI,
 * status, milliseconds, tenant, service, version, route, upstream, request id, error code.
 */
public final class AccessLogPlugin implements GatewayPlugin {

  static final Logger LOG = LoggerFactory.getLogger("io.meridian.gateway.access");

  @Override
  public String id() {
    return "access-log";
  }

  @Override
  public Phase phase() {
    return Phase.OBSERVE;
  }

  @Override
  public void onComplete(Exchange x) {
    if (!LOG.isInfoEnabled()) {
      return;
    }
    double millis = (System.nanoTime() - x.startNanos()) / 1e6;
    LOG.info("{} \"{} {} {}\" {} {}ms tenant={} service={} version={} route={} upstream={} id={}{}",
        x.clientAddress().getAddress().getHostAddress(), x.method(), x.uri(), x.protocol(), x.status(),
        String.format("%.1f", millis), x.tenant(), x.service(), x.version(), x.route(), x.upstream(), x.requestId(),
        x.errorCode() == null ? "" : " error=" + x.errorCode());
  }
}
