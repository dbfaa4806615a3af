/**
 * The xDS room's public surface: the REST adapter for xDS observability. The control plane
 * itself — ADS over gRPC, translation from the registry and rules to Envoy resources, per-node
 * scoping by tenant and network plane — lives in {@code io.meridian.xds.impl}.
 */
package io.meridian.xds;
