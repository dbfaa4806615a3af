import io.vertx.core.Vertx;

/**
 * The start-up peer of scripts/bench/startup: the least a Vert.x 5 process can do before it
 * answers HTTP (one verticle-less server on the event loop), from the same jar's classpath.
 */
public final class MinimalVertxServer {
  public static void main(String[] args) {
    Vertx vertx = Vertx.vertx();
    vertx.createHttpServer()
        .requestHandler(request -> request.response().end("{\"status\":\"ready\"}"))
        .listen(Integer.parseInt(args[0]), "127.0.0.1")
        .onFailure(e -> {
          e.printStackTrace();
          System.exit(1);
        });
  }
}
