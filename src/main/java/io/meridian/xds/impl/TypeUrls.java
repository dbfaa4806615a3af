package io.meridian.xds.impl;

import java.util.List;

/** The xDS resource types Meridian serves, in the order updates are pushed (CDS before EDS, LDS before RDS). */
final class TypeUrls {

  static final String LISTENER = "type.googleapis.com/envoy.config.listener.v3.Listener";
  static final String ROUTE = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
  static final String CLUSTER = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
  static final String ENDPOINT = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";

  /** Push order. */
  static final List<String> ORDER = List.of(CLUSTER, ENDPOINT, LISTENER, ROUTE);

  /** Types whose empty subscription means "everything" (wildcard). */
  static boolean wildcardCapable(String type) {
    return type.equals(LISTENER) || type.equals(CLUSTER);
  }

  /** Short name for the API: lds, rds, cds, eds. */
  static String shortName(String type) {
    return switch (type) {
      case LISTENER -> "lds";
      case ROUTE -> "rds";
      case CLUSTER -> "cds";
      case ENDPOINT -> "eds";
      default -> type;
    };
  }

  private TypeUrls() {
  }
}
