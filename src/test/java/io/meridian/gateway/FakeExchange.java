package io.meridian.gateway;

import java.net.InetSocketAddress;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An exchange without sockets for plugin unit tests: the request parts a plugin looks at (set
 * by the test), request headers (case-insensitive) and attributes in maps, and one compiled
 * policy returned for every compiler.
 */
public final class FakeExchange implements Exchange {

  public String method = "GET";
  /** Path and query as received. */
  public String uri = "/";
  /** The path the service sees (after the gateway's routing prefix). */
  public String servicePath = "/";
  public String host = "shop.example.com";
  public String tenant = "default";
  public String service = "shop";
  public int localPort = 9080;
  public InetSocketAddress peer = new InetSocketAddress("127.0.0.1", 40000);
  public final Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
  public Object policy;
  private final Map<Key<?>, Object> attributes = new IdentityHashMap<>();

  public FakeExchange() {
  }

  /** An exchange for {@code uri} whose service has {@code policy} (for any compiler). */
  public FakeExchange(Object policy, String uri) {
    this.policy = policy;
    this.uri = uri;
  }

  public FakeExchange header(String name, String value) {
    headers.put(name, value);
    return this;
  }

  @Override
  public String method() {
    return method;
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
  public String servicePath() {
    return servicePath;
  }

  @Override
  public int localPort() {
    return localPort;
  }

  @Override
  public String host() {
    return host;
  }

  @Override
  public String requestHeader(String name) {
    return headers.get(name);
  }

  @Override
  public List<String> requestHeaders(String name) {
    String v = headers.get(name);
    return v == null ? List.of() : List.of(v);
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
    return peer;
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
  public void onLoop(Runnable task) {
    task.run(); // a test runs on one thread
  }

  @Override
  public String tenant() {
    return tenant;
  }

  @Override
  public String service() {
    return service;
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
  @SuppressWarnings("unchecked")
  public <T> T get(Key<T> key) {
    return (T) attributes.get(key);
  }

  @Override
  public <T> void put(Key<T> key, T value) {
    attributes.put(key, value);
  }
}
