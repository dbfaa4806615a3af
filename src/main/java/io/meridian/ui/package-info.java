/**
 * The ui room's public surface: {@link io.meridian.ui.UiSite}, the web UI's static files
 * ({@code webroot/} in the jar) as the admin server of a node running the {@code ui} role
 * serves them. The role's verticle lives in {@code io.meridian.ui.impl}.
 */
package io.meridian.ui;
