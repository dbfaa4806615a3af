/**
 * The gateway room's public surface: the plugin SPI ({@link io.meridian.gateway.GatewayPlugin},
 * {@link io.meridian.gateway.Phase}, {@link io.meridian.gateway.Exchange},
 * {@link io.meridian.gateway.PluginFailure}). The proxy itself — Netty on Vert.x's event loops,
 * routing from the scoped registry view and the rules, load balancing, the built-in plugins —
 * lives in {@code io.meridian.gateway.impl}.
 */
package io.meridian.gateway;
