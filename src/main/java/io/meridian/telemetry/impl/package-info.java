/** The telemetry role: scraper, time-series window, span intake, trace store, exporters. */
package io.meridian.telemetry.impl;
