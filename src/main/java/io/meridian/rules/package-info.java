/**
 * The rules room's public surface: rule kinds, the stored rule, the bus client and the REST
 * adapter. Traffic rules are written in Istio's language ({@code networking.istio.io},
 * {@code security.istio.io}) plus Meridian kinds ({@code meridian.io/v1}); one rule set drives
 * the gateway and the sidecars alike. The role itself lives in {@code io.meridian.rules.impl}.
 */
package io.meridian.rules;
