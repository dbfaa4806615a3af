/**
 * What every room shares and nothing else: event-bus addresses, the error model, config
 * records, the store interface, auth types and the base verticle.
 *
 * <p>Nothing here may depend on a role's room ({@code io.meridian.registry}, …) or on the
 * launcher ({@code io.meridian.app}); {@code ArchitectureTest} enforces it.
 */
package io.meridian.common;
