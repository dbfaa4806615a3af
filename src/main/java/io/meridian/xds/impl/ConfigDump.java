package io.meridian.xds.impl;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.vertx.core.json.JsonObject;

/** Renders xDS resources as JSON (proto3 JSON mapping, nested {@code Any}s expanded with their {@code @type}). */
final class ConfigDump {

  private static final JsonFormat.TypeRegistry TYPES = JsonFormat.TypeRegistry.newBuilder()
      .add(Listener.getDescriptor())
      .add(RouteConfiguration.getDescriptor())
      .add(Cluster.getDescriptor())
      .add(ClusterLoadAssignment.getDescriptor())
      .add(HttpConnectionManager.getDescriptor())
      .add(Router.getDescriptor())
      .add(HTTPFault.getDescriptor())
      .add(TcpProxy.getDescriptor())
      .build();

  private static final JsonFormat.Printer PRINTER = JsonFormat.printer().usingTypeRegistry(TYPES)
      .omittingInsignificantWhitespace();

  static JsonObject toJson(Any any) {
    try {
      return new JsonObject(PRINTER.print(any));
    } catch (InvalidProtocolBufferException e) {
      return new JsonObject().put("@type", any.getTypeUrl()).put("error", e.getMessage());
    }
  }

  static JsonObject toJson(Message message) {
    return toJson(Any.pack(message));
  }

  private ConfigDump() {
  }
}
