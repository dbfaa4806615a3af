package io.meridian.rules.impl;

import io.meridian.registry.Instance;
import io.meridian.registry.RegistryView;
import io.meridian.registry.ServiceBinding;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The registry as the rules validator sees it: a live {@link RegistryView} of everything,
 * indexed by (tenant, service) when first needed after a change. Unavailable until the view
 * has loaded (the registry may start after the rules role, or run elsewhere).
 */
final class RegistryFacts implements RuleValidator.Facts {

  private RegistryView view;
  private Map<String, Map<String, List<Map<String, String>>>> index;

  void view(RegistryView view) {
    this.view = view;
    this.index = null;
    view.onChange(e -> index = null);
  }

  @Override
  public boolean available() {
    return view != null;
  }

  @Override
  public boolean hasService(String tenant, String service) {
    return index().getOrDefault(tenant, Map.of()).containsKey(service);
  }

  @Override
  public List<Map<String, String>> labelSets(String tenant, String service) {
    return index().getOrDefault(tenant, Map.of()).getOrDefault(service, List.of());
  }

  private Map<String, Map<String, List<Map<String, String>>>> index() {
    if (index == null) {
      Map<String, Map<String, List<Map<String, String>>>> built = new HashMap<>();
      if (view != null) {
        for (Instance i : view.instances().values()) {
          for (ServiceBinding s : i.spec().services()) {
            Map<String, String> labels = new HashMap<>(i.spec().labels());
            if (!s.version().isEmpty()) {
              labels.put("version", s.version());
            }
            built.computeIfAbsent(i.tenant(), t -> new HashMap<>()).computeIfAbsent(s.name(), n -> new ArrayList<>()).add(labels);
          }
        }
      }
      index = built;
    }
    return index;
  }
}
