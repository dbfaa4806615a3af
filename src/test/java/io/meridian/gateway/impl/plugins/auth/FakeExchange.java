package io.meridian.gateway.impl.plugins.auth;

import io.meridian.gateway.Exchange;
import io.meridian.gateway.PolicyCompiler;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/** An exchange without a network: request headers and attributes in maps, one compiled policy. */
final class FakeExchange implements Exchange {

  final Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
  final Map<Key<?>, Object> attributes = new HashMap<>();
  final Object policy;
  final String uri;

  FakeExchange(Object policy, String uri) {
    this.policy = policy;
    this.uri = uri;
  }

  @Override
  public String method() {
    return "GET";
  }

  @Override
  public String uri() {
    return uri;
  }

  @Override
  public String path() {
    int q = uri.indexOf('?');
    return q < 0 ? uri : uri.substring(0, q);
  }

  @Override
  public String host() {
    return "localhost";
  }

  @Override
  public String requestHeader(String name) {
    return headers.get(name);
  }

  @Override
  public void setRequestHeader(String name, String value) {
    headers.put(name, value);
  }

  @Override
  public void removeRequestHeader(String name) {
    headers.remove(name);
  }

  @Override
  public InetSocketAddress clientAddress() {
    return new InetSocketAddress("127.0.0.1", 1);
  }

  @Override
  public String protocol() {
    return "HTTP/1.1";
  }

  @Override
  public boolean secure() {
    return false;
  }

  @Override
  public String requestId() {
    return null;
  }

  @Override
  public void requestId(String id) {
  }

  @Override
  public long startNanos() {
    return 0;
  }

  @Override
  @SuppressWarnings("unchecked")
  public <T> T policy(PolicyCompiler<T> compiler) {
    return (T) policy;
  }

  @Override
  public String tenant() {
    return "default";
  }

  @Override
  public String service() {
    return "demo";
  }

  @Override
  public String version() {
    return null;
  }

  @Override
  public String route() {
    return null;
  }

  @Override
  public String upstream() {
    return null;
  }

  @Override
  public int status() {
    return 0;
  }

  @Override
  public String responseHeader(String name) {
    return null;
  }

  @Override
  public void setResponseHeader(String name, String value) {
  }

  @Override
  public void removeResponseHeader(String name) {
  }

  @Override
  public String errorCode() {
    return null;
  }

  @Override
  public void onLoop(Runnable task) {
    task.run();
  }

  @Override
  @SuppressWarnings("unchecked")
  public <T> T get(Key<T> key) {
    return (T) attributes.get(key);
  }

  @Override
  public <T> void put(Key<T> key, T value) {
    attributes.put(key, value);
  }
}
