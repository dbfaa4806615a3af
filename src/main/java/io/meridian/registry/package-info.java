/**
 * The registry room's public surface: the model that crosses the event bus, the bus client
 * ({@link io.meridian.registry.RegistryClient}), the scoped follower other roles use
 * ({@link io.meridian.registry.RegistryView}) and the REST adapter
 * ({@link io.meridian.registry.RegistryHttpApi}). The role itself lives in
 * {@code io.meridian.registry.impl}.
 */
package io.meridian.registry;
