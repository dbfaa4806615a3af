package io.meridian.gateway;

import io.meridian.rules.Rule;
import io.meridian.rules.RuleKind;
import java.util.List;
import java.util.Set;

/**
 * How a plugin configured by rules (rate limits, auth, breakers, …) reads them: when the
 * gateway builds a route table (on every registry or rule change), it hands each compiler the
 * rules of its kinds in each service's namespace (the tenant), and the compiler returns the
 * typed, ready-to-use configuration for that service — or {@code null} when none of them applies
 * to it. Requests then read it with {@link Exchange#policy(PolicyCompiler)}: nothing is parsed
 * per request, and a request keeps the configuration of the table it started with.
 *
 * <p>Rules arrive validated by the rules role; a compiler that still cannot use one throws
 * {@link IllegalArgumentException} (the gateway logs it and uses {@link #unusable}). Compilers run on the gateway's role context, never concurrently with themselves.
 *
 * @param <T> the compiled configuration
 */
public interface PolicyCompiler<T> {

  /** The rule kinds it reads. */
  Set<RuleKind> kinds();

  /**
   * The configuration for {@code target} from {@code rules} (every rule of {@link #kinds()} in
   * the target's namespace, in key order), or {@code null} when none applies to it.
   */
  T compile(PolicyTarget target, List<Rule> rules);

  /**
   * The configuration to use for {@code target} when {@link #compile} threw: {@code null}
   * (the default) leaves the service without this policy — right for optional behaviour; a
   * security policy returns one that refuses (fail closed) instead.
   */
  default T unusable(PolicyTarget target, IllegalArgumentException why) {
    return null;
  }
}
