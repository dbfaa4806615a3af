package io.meridian;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.EvaluationResult;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Verifies the room rule of CONVENTIONS.md: a room uses another room only through that room's
 * root package (its bus API), shared code never depends on a room or the launcher, and no
 * package cycles. The launcher ({@code io.meridian.app}) is the composition root: it may
 * construct a room's verticle from its {@code impl} package. The rules are also run against deliberately broken fixtures to show they
 * catch what they should.
 */
class ArchitectureTest {

  /** Rooms (roles and the later ones); {@code app} and {@code common} are not rooms. */
  static final List<String> ROOMS = List.of("registry", "rules", "xds", "gateway", "telemetry", "ui",
      "messaging", "canary", "agent");

  private static final JavaClasses MERIDIAN = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("io.meridian");

  static ArchRule roomsUseOnlyOtherRoomsRoots(String base) {
    return classes().that().resideInAPackage(base + "..")
        .should(new ArchCondition<>("use other rooms only through their root package") {
          @Override
          public void check(JavaClass origin, ConditionEvents events) {
            String from = room(base, origin.getPackageName());
            if (from == null) {
              return; // the launcher (composition root) and shared code are not rooms
            }
            for (Dependency d : origin.getDirectDependenciesFromSelf()) {
              JavaClass target = d.getTargetClass();
              String to = room(base, target.getPackageName());
              boolean internal = !target.getPackageName().equals(base + "." + to);
              if (to != null && !to.equals(from) && internal) {
                events.add(SimpleConditionEvent.violated(d, d.getDescription()
                    + " reaches into room '" + to + "' beyond its root package"));
              }
            }
          }
        }).allowEmptyShould(true);
  }

  static ArchRule commonDependsOnNoRoomAndNoLauncher(String base) {
    String[] forbidden = ROOMS.stream().map(r -> base + "." + r + "..").toList().toArray(new String[0]);
    return noClasses().that().resideInAPackage(base + ".common..")
        .should().dependOnClassesThat().resideInAnyPackage(forbidden)
        .orShould().dependOnClassesThat().resideInAPackage(base + ".app..")
        .allowEmptyShould(true);
  }

  static ArchRule roomsDoNotDependOnTheLauncher(String base) {
    String[] rooms = ROOMS.stream().map(r -> base + "." + r + "..").toList().toArray(new String[0]);
    return noClasses().that().resideInAnyPackage(rooms)
        .should().dependOnClassesThat().resideInAPackage(base + ".app..")
        .allowEmptyShould(true);
  }

  static ArchRule noPackageCycles(String base) {
    return slices().matching(base + ".(**)").should().beFreeOfCycles().allowEmptyShould(true);
  }

  private static String room(String base, String packageName) {
    if (!packageName.startsWith(base + ".")) {
      return null;
    }
    String rest = packageName.substring(base.length() + 1);
    int dot = rest.indexOf('.');
    String first = dot < 0 ? rest : rest.substring(0, dot);
    return ROOMS.contains(first) ? first : null;
  }

  @Test
  void roomsUseEachOtherOnlyThroughRootPackages() {
    roomsUseOnlyOtherRoomsRoots("io.meridian").check(MERIDIAN);
  }

  @Test
  void commonDependsOnNothingRoomSpecific() {
    commonDependsOnNoRoomAndNoLauncher("io.meridian").check(MERIDIAN);
  }

  @Test
  void roomsNeverDependOnTheLauncher() {
    roomsDoNotDependOnTheLauncher("io.meridian").check(MERIDIAN);
  }

  @Test
  void packagesAreFreeOfCycles() {
    noPackageCycles("io.meridian").check(MERIDIAN);
  }

  @Test
  void theRulesCatchViolationsInBrokenFixtures() {
    JavaClasses bad = new ClassFileImporter().importPackages("fixture.arch.bad");
    EvaluationResult reach = roomsUseOnlyOtherRoomsRoots("fixture.arch.bad").evaluate(bad);
    assertThat(reach.hasViolation()).isTrue();
    assertThat(reach.getFailureReport().getDetails()).anySatisfy(line ->
        assertThat(line).contains("fixture.arch.bad.gateway.GatewayUsesRegistryInternals")
            .contains("room 'registry'"));
    assertThat(commonDependsOnNoRoomAndNoLauncher("fixture.arch.bad").evaluate(bad).hasViolation()).isTrue();

    JavaClasses cyclic = new ClassFileImporter().importPackages("fixture.arch.cycle");
    assertThat(noPackageCycles("fixture.arch.cycle").evaluate(cyclic).hasViolation()).isTrue();
  }
}
