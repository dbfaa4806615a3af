package io.meridian.registry.impl;

import io.meridian.registry.Instance;
import io.meridian.registry.ServiceBinding;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The registry's instances in memory with a (tenant, service) index, and the queries over
 * them. Pure and single-threaded: the registry verticle's event loop owns it.
 */
final class RegistryState {

  private final Map<String, Instance> byId = new HashMap<>();
  private final Map<String, Map<String, TreeSet<String>>> byTenantService = new HashMap<>();

  Instance get(String id) {
    return byId.get(id);
  }

  Collection<Instance> all() {
    return byId.values();
  }

  int size() {
    return byId.size();
  }

  /** Adds or replaces; returns the previous instance. */
  Instance put(Instance instance) {
    Instance previous = byId.put(instance.id(), instance);
    if (previous != null && previous.spec() == instance.spec()) {
      return previous; // a status change: the (tenant, service) index stays as it is
    }
    if (previous != null) {
      unindex(previous);
    }
    index(instance);
    return previous;
  }

  Instance remove(String id) {
    Instance previous = byId.remove(id);
    if (previous != null) {
      unindex(previous);
    }
    return previous;
  }

  /** Instances matching every non-null filter, ordered by id. */
  List<Instance> instances(String tenant, String service, String plane, String kind) {
    Collection<Instance> candidates;
    if (service != null) {
      candidates = new ArrayList<>();
      for (String t : tenant == null ? byTenantService.keySet() : List.of(tenant)) {
        TreeSet<String> ids = byTenantService.getOrDefault(t, Map.of()).get(service);
        if (ids != null) {
          ids.forEach(id -> candidates.add(byId.get(id)));
        }
      }
    } else if (tenant != null) {
      java.util.Set<String> ids = new java.util.HashSet<>();
      byTenantService.getOrDefault(tenant, Map.of()).values().forEach(ids::addAll);
      candidates = new ArrayList<>(ids.size());
      ids.forEach(id -> candidates.add(byId.get(id)));
    } else {
      candidates = byId.values();
    }
    List<Instance> result = new ArrayList<>();
    for (Instance i : candidates) {
      if ((tenant == null || tenant.equals(i.tenant()))
          && (kind == null || kind.equals(i.spec().kind()))
          && (plane == null || i.spec().address(plane) != null)) {
        result.add(i);
      }
    }
    result.sort(Comparator.comparing(Instance::id));
    return result;
  }

  /** One entry per (tenant, service): versions, instance and healthy counts, planes, protocols. */
  JsonArray services(String tenant) {
    Map<String, Map<String, Aggregate>> byTenant = new TreeMap<>();
    for (Instance i : byId.values()) {
      if (tenant != null && !tenant.equals(i.tenant())) {
        continue;
      }
      for (ServiceBinding s : i.spec().services()) {
        Aggregate a = byTenant.computeIfAbsent(i.tenant(), t -> new TreeMap<>()).computeIfAbsent(s.name(), n -> new Aggregate());
        a.instances++;
        if (i.passing()) {
          a.healthy++;
        }
        if (!s.version().isEmpty()) {
          a.versions.add(s.version());
        }
        a.planes.addAll(s.planes());
        a.protocols.add(s.protocol());
      }
    }
    JsonArray result = new JsonArray();
    byTenant.forEach((t, services) -> services.forEach((name, a) -> result.add(new JsonObject()
        .put("name", name)
        .put("tenant", t)
        .put("versions", new JsonArray(new ArrayList<>(a.versions)))
        .put("instances", a.instances)
        .put("healthy", a.healthy)
        .put("planes", new JsonArray(new ArrayList<>(a.planes)))
        .put("protocols", new JsonArray(new ArrayList<>(a.protocols))))));
    return result;
  }

  /**
   * The addresses of {@code service} in {@code tenant} on {@code plane} only: one entry per
   * instance that binds the service on that plane (and has the version, and is passing when
   * {@code healthyOnly}).
   */
  JsonArray endpoints(String service, String tenant, String plane, String version, boolean healthyOnly) {
    JsonArray result = new JsonArray();
    for (Instance i : instances(tenant, service, null, null)) {
      ServiceBinding s = i.spec().service(service);
      if (s == null || !s.planes().contains(plane) || (version != null && !version.equals(s.version()))
          || (healthyOnly && !i.passing())) {
        continue;
      }
      String address = i.spec().address(plane);
      String host = address.indexOf(':') >= 0 && !address.startsWith("[") ? "[" + address + "]" : address;
      JsonObject labels = new JsonObject();
      new TreeMap<>(i.spec().labels()).forEach(labels::put);
      result.add(new JsonObject()
          .put("address", address)
          .put("port", s.port())
          .put("hostPort", host + ":" + s.port())
          .put("instance", i.id())
          .put("version", s.version())
          .put("protocol", s.protocol())
          .put("status", i.status() == null ? null : i.status().state())
          .put("labels", labels));
    }
    return result;
  }

  private void index(Instance i) {
    Map<String, TreeSet<String>> services = byTenantService.computeIfAbsent(i.tenant(), t -> new HashMap<>());
    for (ServiceBinding s : i.spec().services()) {
      services.computeIfAbsent(s.name(), n -> new TreeSet<>()).add(i.id());
    }
  }

  private void unindex(Instance i) {
    Map<String, TreeSet<String>> services = byTenantService.get(i.tenant());
    if (services == null) {
      return;
    }
    for (ServiceBinding s : i.spec().services()) {
      TreeSet<String> ids = services.get(s.name());
      if (ids != null) {
        ids.remove(i.id());
        if (ids.isEmpty()) {
          services.remove(s.name());
        }
      }
    }
    if (services.isEmpty()) {
      byTenantService.remove(i.tenant());
    }
  }

  private static final class Aggregate {
    int instances;
    int healthy;
    final TreeSet<String> versions = new TreeSet<>();
    final TreeSet<String> planes = new TreeSet<>();
    final TreeSet<String> protocols = new TreeSet<>();
  }
}
