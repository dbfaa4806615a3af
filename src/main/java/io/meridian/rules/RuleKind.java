package io.meridian.rules;

import java.util.List;
import java.util.Locale;

/**
 * The kinds of traffic rules Meridian accepts, with their API groups and versions.
 * Kinds are matched case-insensitively in URLs, singular or plural ({@code VirtualService},
 * {@code virtualservice}, {@code virtualservices}).
 */
public enum RuleKind {
  VIRTUAL_SERVICE("VirtualService", "networking.istio.io", List.of("v1", "v1beta1", "v1alpha3")),
  DESTINATION_RULE("DestinationRule", "networking.istio.io", List.of("v1", "v1beta1", "v1alpha3")),
  SERVICE_ENTRY("ServiceEntry", "networking.istio.io", List.of("v1", "v1beta1", "v1alpha3")),
  GATEWAY("Gateway", "networking.istio.io", List.of("v1", "v1beta1", "v1alpha3")),
  AUTHORIZATION_POLICY("AuthorizationPolicy", "security.istio.io", List.of("v1", "v1beta1")),
  REQUEST_AUTHENTICATION("RequestAuthentication", "security.istio.io", List.of("v1", "v1beta1")),
  RATE_LIMIT_POLICY("RateLimitPolicy", "meridian.io", List.of("v1")),
  EXTERNAL_AUTH_POLICY("ExternalAuthPolicy", "meridian.io", List.of("v1")),
  CIRCUIT_BREAKER_POLICY("CircuitBreakerPolicy", "meridian.io", List.of("v1"));

  private final String kind;
  private final String group;
  private final List<String> versions;

  RuleKind(String kind, String group, List<String> versions) {
    this.kind = kind;
    this.group = group;
    this.versions = versions;
  }

  /** The kind as written in documents, e.g. {@code VirtualService}. */
  public String kind() {
    return kind;
  }

  public String group() {
    return group;
  }

  /** Accepted versions, the preferred one first. */
  public List<String> versions() {
    return versions;
  }

  /** The preferred apiVersion, e.g. {@code networking.istio.io/v1}. */
  public String apiVersion() {
    return group + "/" + versions.get(0);
  }

  /** Whether {@code apiVersion} (group/version) is accepted for this kind. */
  public boolean accepts(String apiVersion) {
    return apiVersion != null && versions.stream().anyMatch(v -> apiVersion.equals(group + "/" + v));
  }

  /** The lower-case plural used in URLs, e.g. {@code virtualservices}. */
  public String plural() {
    String lower = kind.toLowerCase(Locale.ROOT);
    boolean consonantY = lower.endsWith("y") && "aeiou".indexOf(lower.charAt(lower.length() - 2)) < 0;
    return consonantY ? lower.substring(0, lower.length() - 1) + "ies" : lower + "s";
  }

  /** The kind named {@code name} (document spelling, or any case, singular or plural), or {@code null}. */
  public static RuleKind fromName(String name) {
    if (name == null) {
      return null;
    }
    String lower = name.toLowerCase(Locale.ROOT);
    for (RuleKind k : values()) {
      String singular = k.kind.toLowerCase(Locale.ROOT);
      if (lower.equals(singular) || lower.equals(k.plural())) {
        return k;
      }
    }
    return null;
  }

  /** Every kind's document name, for messages. */
  public static String names() {
    return String.join(", ", java.util.Arrays.stream(values()).map(RuleKind::kind).toList());
  }
}
