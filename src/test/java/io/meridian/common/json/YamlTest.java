package io.meridian.common.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class YamlTest {

  @Test
  void readsPlainDataAsJsonValues() {
    JsonObject o = Yaml.parseObject("a: 1\nb: [x, 2.5, true, null]\nc: {d: e}\n");
    assertThat(o).isEqualTo(new JsonObject().put("a", 1).put("b", new JsonArray().add("x").add(2.5).add(true).addNull())
        .put("c", new JsonObject().put("d", "e")));
  }

  @Test
  void timestampsStayStrings() {
    assertThat(Yaml.parseObject("at: 2026-11-26T10:00:00Z\nday: 2026-11-26\n").getValue("day")).isEqualTo("2026-11-26");
  }

  @Test
  void refusesAliasBombs() {
    StringBuilder bomb = new StringBuilder("a: &a [x, x, x, x, x, x, x, x, x]\n");
    char prev = 'a';
    for (char c = 'b'; c <= 'k'; c++) {
      bomb.append(c).append(": &").append(c).append(" [");
      for (int i = 0; i < 9; i++) {
        bomb.append(i == 0 ? "" : ", ").append('*').append(prev);
      }
      bomb.append("]\n");
      prev = c;
    }
    assertThatThrownBy(() -> Yaml.parse(bomb.toString())).isInstanceOf(Yaml.YamlException.class);
  }

  @Test
  void refusesDuplicateKeysAndDeepNestingAndClassTags() {
    assertThatThrownBy(() -> Yaml.parse("a: 1\na: 2\n")).hasMessageContaining("duplicate");
    assertThatThrownBy(() -> Yaml.parse("[".repeat(200) + "]".repeat(200))).isInstanceOf(Yaml.YamlException.class);
    assertThatThrownBy(() -> Yaml.parse("!!java.io.File /tmp")).isInstanceOf(Yaml.YamlException.class);
  }

  @Test
  void reportsTheLineOfASyntaxError() {
    Yaml.YamlException e = (Yaml.YamlException) org.assertj.core.api.Assertions.catchThrowable(
        () -> Yaml.parse("a: 1\nb: [\nc: 3\n"));
    assertThat(e.line()).isGreaterThan(1);
  }

  @Test
  void dumpsYamlThatReadsBackEqual() {
    JsonObject doc = new JsonObject().put("name", "x").put("list", new JsonArray().add(1).add("two"))
        .put("nested", new JsonObject().put("k", (String) null));
    assertThat(Yaml.parse(Yaml.dump(doc))).isEqualTo(doc);
  }
}
