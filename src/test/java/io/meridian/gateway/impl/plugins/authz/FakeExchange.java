package io.meridian.gateway.impl.plugins.authz;

import io.meridian.gateway.Exchange;
import io.meridian.gateway.PolicyCompiler;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Locale;
import java.util.Map;

/** An exchange without sockets: the request parts authorization looks at, set by the test. */
final class FakeExchange implements Exchange {

  String method = "GET";
  String path = "/";
  String servicePath = "/";
  String host = "shop.example.com";
  int localPort = 9080;
  InetSocketAddress peer = new InetSocketAddress("127.0.0.1", 40000);
  final Map<String, String> headers = new HashMap<>();
  private final Map<Key<?>, Object> attributes = new IdentityHashMap<>();

  FakeExchange header(String name, String value) {
    headers.put(name.toLowerCase(Locale.ROOT), value);
    return this;
  }

  @Override
  public String method() {
    return method;
  }

  @Override
  public String uri() {
    return path;
  }

  @Override
  public String path() {
    return path;
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
    return headers.get(name.toLowerCase(Locale.ROOT));
  }

  @Override
  public void setRequestHeader(String name, String value) {
    header(name, value);
  }

  @Override
  public void removeRequestHeader(String name) {
    headers.remove(name.toLowerCase(Locale.ROOT));
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
  public void onLoop(Runnable task) {
    task.run(); // tests run on one thread
  }

  @Override
  public <T> T policy(PolicyCompiler<T> compiler) {
    return null;
  }

  @Override
  public String tenant() {
    return "default";
  }

  @Override
  public String service() {
    return "shop";
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
