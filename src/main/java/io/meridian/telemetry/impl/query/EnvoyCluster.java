package io.meridian.telemetry.impl.query;

/**
 * Meridian's xDS outbound cluster name as sidecars report it in {@code envoy_cluster_name}:
 * {@code outbound|PORT|SUBSET|NAME.TENANT.svc.cluster.local} (SUBSET empty for the whole
 * service).
 *
 * @param subset the DestinationRule subset, {@code ""} for the whole service
 */
public record EnvoyCluster(int port, String subset, String service, String tenant) {

  private static final String SUFFIX = ".svc.cluster.local";

  /** The parsed name, or {@code null} when it is not a Meridian outbound cluster. */
  public static EnvoyCluster parse(String name) {
    if (name == null || !name.startsWith("outbound|")) {
      return null;
    }
    String[] parts = name.split("\\|", -1);
    if (parts.length != 4 || !parts[3].endsWith(SUFFIX)) {
      return null;
    }
    int port;
    try {
      port = Integer.parseInt(parts[1]);
    } catch (NumberFormatException e) {
      return null;
    }
    String host = parts[3].substring(0, parts[3].length() - SUFFIX.length());
    int dot = host.indexOf('.');
    if (dot <= 0 || dot == host.length() - 1 || host.indexOf('.', dot + 1) >= 0) {
      return null;
    }
    return new EnvoyCluster(port, parts[2], host.substring(0, dot), host.substring(dot + 1));
  }
}
