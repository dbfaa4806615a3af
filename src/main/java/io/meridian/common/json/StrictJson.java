package io.meridian.common.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import io.meridian.common.error.ApiException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;

/**
 * JSON parsing for untrusted request bodies: duplicate keys are an error (not "last wins"),
 * nesting and string sizes are bounded, and every failure is a 400 saying where.
 */
public final class StrictJson {

  private static final int MAX_DEPTH = 64;
  private static final JsonFactory FACTORY = JsonFactory.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .streamReadConstraints(StreamReadConstraints.builder()
          .maxNestingDepth(MAX_DEPTH)
          .maxStringLength(1 << 20)
          .maxNumberLength(64)
          .build())
      .build();

  /** Parses a JSON object; 400 (field {@code null}) for anything else. */
  public static JsonObject parseObject(String text) {
    try (JsonParser parser = FACTORY.createParser(text)) {
      JsonToken first = parser.nextToken();
      if (first != JsonToken.START_OBJECT) {
        throw ApiException.badRequest(null, first == null ? "request body is empty: expected a JSON object"
            : "expected a JSON object");
      }
      JsonObject object = readObject(parser);
      if (parser.nextToken() != null) {
        throw ApiException.badRequest(null, "unexpected content after the JSON object");
      }
      return object;
    } catch (JsonProcessingException e) {
      String message = e.getOriginalMessage();
      if (message != null && message.startsWith("Duplicate field")) {
        message = "duplicate key " + message.substring("Duplicate field ".length());
      }
      throw ApiException.badRequest(null, "invalid JSON: " + message + location(e));
    } catch (IOException e) {
      throw ApiException.badRequest(null, "invalid JSON: " + e.getMessage());
    }
  }

  private static JsonObject readObject(JsonParser parser) throws IOException {
    JsonObject object = new JsonObject();
    while (parser.nextToken() == JsonToken.FIELD_NAME) {
      String name = parser.currentName();
      parser.nextToken();
      object.put(name, readValue(parser));
    }
    return object;
  }

  private static JsonArray readArray(JsonParser parser) throws IOException {
    JsonArray array = new JsonArray();
    while (parser.nextToken() != JsonToken.END_ARRAY) {
      array.add(readValue(parser));
    }
    return array;
  }

  private static Object readValue(JsonParser parser) throws IOException {
    return switch (parser.currentToken()) {
      case START_OBJECT -> readObject(parser);
      case START_ARRAY -> readArray(parser);
      case VALUE_STRING -> parser.getText();
      case VALUE_NUMBER_INT -> parser.getNumberType() == JsonParser.NumberType.INT ? (Object) parser.getIntValue()
          : parser.getNumberType() == JsonParser.NumberType.LONG ? (Object) parser.getLongValue()
          : (Object) parser.getDoubleValue();
      case VALUE_NUMBER_FLOAT -> parser.getDoubleValue();
      case VALUE_TRUE -> Boolean.TRUE;
      case VALUE_FALSE -> Boolean.FALSE;
      case VALUE_NULL -> null;
      default -> throw ApiException.badRequest(null, "invalid JSON token " + parser.currentToken());
    };
  }

  private static String location(JsonProcessingException e) {
    return e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
  }

  private StrictJson() {
  }
}
