package io.modelgate.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/**
 * The chaos benchmark's churn, decided in advance from a seed so every setup meets the same
 * events at the same offsets: an initial placement (each model on half the replicas), then every
 * {@link #TICK_MS} one random event: toggle a random (replica, model) pair (load it, LOADING for
 * 0.5-3 s, or unload it), hang a replica for 1-4 s, or kill a replica for 2-6 s (it comes back
 * with its models loading again, 0.5-3 s each). Kept plausible: at most {@link #MAX_DOWN}
 * replicas hung or dead at once, and a model's last live copy is unloaded only in {@link
 * #LAST_COPY_UNLOAD_SHARE} of the draws that pick it. Immutable.
 */
record ChaosPlan(long seed, Map<String, Set<String>> initial, List<Action> actions) {
  static final long TICK_MS = 300;
  static final int MAX_DOWN = 2;
  static final double LAST_COPY_UNLOAD_SHARE = 0.1;

  enum Kind { LOAD, UNLOAD, HANG, UNHANG, KILL, REVIVE }

  /**
   * One thing done to a replica at {@code atMillis} after the start. LOAD: {@code model} goes
   * LOADING for {@code loadMillis}; REVIVE: ports open again and each model of {@code reloads}
   * loads for its time.
   */
  record Action(long atMillis, Kind kind, String replica, String model, long loadMillis, Map<String, Long> reloads) {
    static Action of(long at, Kind kind, String replica) {
      return new Action(at, kind, replica, "", 0, Map.of());
    }

    @Override
    public String toString() {
      return atMillis + " ms " + kind + " " + replica + (model.isEmpty() ? "" : " " + model)
          + (loadMillis > 0 ? " (" + loadMillis + " ms)" : "") + (reloads.isEmpty() ? "" : " reloading " + reloads);
    }
  }

  /** The plan for {@code replicas} x {@code models} with events until {@code durationMillis}. */
  static ChaosPlan generate(long seed, List<String> replicas, List<String> models, long durationMillis) {
    Random random = new Random(seed);
    Map<String, Set<String>> initial = new LinkedHashMap<>();
    // Where each pair is loaded (AVAILABLE or LOADING) in the plan, and until when a replica is out.
    Map<String, Set<String>> loaded = new LinkedHashMap<>();
    Map<String, Long> deadUntil = new LinkedHashMap<>();
    Map<String, Long> hungUntil = new LinkedHashMap<>();
    for (String replica : replicas) {
      initial.put(replica, new TreeSet<>());
      deadUntil.put(replica, 0L);
      hungUntil.put(replica, 0L);
    }
    for (String model : models) {
      List<String> shuffled = new ArrayList<>(replicas);
      Collections.shuffle(shuffled, random);
      shuffled.subList(0, (replicas.size() + 1) / 2).forEach(r -> initial.get(r).add(model));
    }
    initial.forEach((r, ms) -> loaded.put(r, new TreeSet<>(ms)));

    List<Action> actions = new ArrayList<>();
    for (long at = TICK_MS; at < durationMillis; at += TICK_MS) {
      final long now = at;
      List<String> alive = replicas.stream().filter(r -> deadUntil.get(r) <= now).toList();
      List<String> up = alive.stream().filter(r -> hungUntil.get(r) <= now).toList();
      long down = replicas.size() - up.size();
      double draw = random.nextDouble();
      if (draw >= 0.5 && down < MAX_DOWN && !up.isEmpty()) {
        String replica = up.get(random.nextInt(up.size()));
        if (draw < 0.75) {
          long hang = between(random, 1000, 4000);
          hungUntil.put(replica, now + hang);
          actions.add(Action.of(now, Kind.HANG, replica));
          actions.add(Action.of(now + hang, Kind.UNHANG, replica));
        } else {
          long dead = between(random, 2000, 6000);
          deadUntil.put(replica, now + dead);
          Map<String, Long> reloads = new LinkedHashMap<>();
          for (String model : loaded.get(replica)) {
            reloads.put(model, between(random, 500, 3000));
          }
          actions.add(Action.of(now, Kind.KILL, replica));
          actions.add(new Action(now + dead, Kind.REVIVE, replica, "", 0, reloads));
        }
        continue;
      }
      if (alive.isEmpty()) {
        continue;
      }
      String replica = alive.get(random.nextInt(alive.size()));
      String model = models.get(random.nextInt(models.size()));
      if (!loaded.get(replica).contains(model)) {
        actions.add(load(random, now, replica, model, loaded));
        continue;
      }
      boolean lastLiveCopy =
          alive.stream().filter(r -> !r.equals(replica)).noneMatch(r -> loaded.get(r).contains(model));
      if (!lastLiveCopy || random.nextDouble() < LAST_COPY_UNLOAD_SHARE) {
        loaded.get(replica).remove(model);
        actions.add(new Action(now, Kind.UNLOAD, replica, model, 0, Map.of()));
        continue;
      }
      // Keep the fleet plausible: load the model somewhere it is missing instead, if anywhere.
      List<String> without = alive.stream().filter(r -> !loaded.get(r).contains(model)).toList();
      if (!without.isEmpty()) {
        actions.add(load(random, now, without.get(random.nextInt(without.size())), model, loaded));
      }
    }
    actions.sort(Comparator.comparingLong(Action::atMillis));
    Map<String, Set<String>> frozen = new LinkedHashMap<>();
    initial.forEach((r, ms) -> frozen.put(r, Set.copyOf(ms)));
    return new ChaosPlan(seed, Collections.unmodifiableMap(frozen), List.copyOf(actions));
  }

  private static Action load(Random random, long at, String replica, String model, Map<String, Set<String>> loaded) {
    loaded.get(replica).add(model);
    return new Action(at, Kind.LOAD, replica, model, between(random, 500, 3000), Map.of());
  }

  private static long between(Random random, long min, long max) {
    return min + random.nextInt((int) (max - min + 1));
  }

  /** How many actions of each kind the plan holds. */
  Map<Kind, Long> counts() {
    Map<Kind, Long> counts = new LinkedHashMap<>();
    for (Kind kind : Kind.values()) {
      counts.put(kind, actions.stream().filter(a -> a.kind() == kind).count());
    }
    return counts;
  }
}
