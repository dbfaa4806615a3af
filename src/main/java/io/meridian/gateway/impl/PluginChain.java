package io.meridian.gateway.impl;

import io.meridian.common.config.ConfigException;
import io.meridian.gateway.GatewayPlugin;
import io.meridian.gateway.impl.proxy.GatewayRuntime;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Assembles plugin chains: phases must not go backwards, ids must be unique. */
public final class PluginChain {

  /** The chain for {@code plugins} in their configured order; fails fast on a bad order or a duplicate. */
  public static GatewayRuntime.Chain assemble(List<GatewayPlugin> plugins) {
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < plugins.size(); i++) {
      GatewayPlugin p = plugins.get(i);
      if (!ids.add(p.id())) {
        throw new ConfigException("gateway.plugins", "plugin '" + p.id() + "' appears twice");
      }
      if (i > 0 && p.phase().compareTo(plugins.get(i - 1).phase()) < 0) {
        throw new ConfigException("gateway.plugins", "plugin '" + p.id() + "' (phase " + p.phase() + ") cannot come after '"
            + plugins.get(i - 1).id() + "' (phase " + plugins.get(i - 1).phase() + ")");
      }
    }
    return GatewayRuntime.Chain.of(plugins);
  }

  private PluginChain() {
  }
}
