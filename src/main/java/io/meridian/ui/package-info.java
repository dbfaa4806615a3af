/**
 * The ui room's public surface: {@link io.meridian.ui.UiHttpApi}, the browser's event stream
 * ({@code GET /api/v1/ui/stream}). The role's verticle and how the web UI's static files are
 * served ({@code UiSite}: {@code webroot/} in the jar, on the admin server of a node running the
 * {@code ui} role) live in {@code io.meridian.ui.impl}.
 */
package io.meridian.ui;
