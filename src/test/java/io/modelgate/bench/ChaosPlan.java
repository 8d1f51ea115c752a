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
 * events at the same offsets: an initial placement (each model on 2 of 3 replicas), then every
 * {@link #TICK_MS} one random event: with even odds a model change, a hang (1-4 s) or a death
 * (2-6 s: ports closed, then back with its models loading again, 0.5-3 s each). A model change
 * draws a (replica, model) pair: one not loaded is loaded (LOADING 0.5-3 s, then AVAILABLE); a
 * loaded one is unloaded with odds {@link #UNLOAD_ODDS}, else a missing pair is loaded, which
 * keeps about 2 of 3 pairs loaded. Kept plausible: at most {@link #MAX_DOWN} replicas hung or
 * dead at once, and a model's last live copy is unloaded only in {@link #LAST_COPY_UNLOAD_SHARE}
 * of the draws that pick it. Immutable.
 */
record ChaosPlan(long seed, Map<String, Set<String>> initial, List<Action> actions) {
  static final long TICK_MS = 300;
  static final int MAX_DOWN = 2;
  static final double LAST_COPY_UNLOAD_SHARE = 0.1;
  /** A loaded pair drawn is unloaded with these odds: loaded share x settles where x * 3/4 = 1 - x * 3/4. */
  static final double UNLOAD_ODDS = 0.75;

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
      shuffled.subList(0, initialCopies(replicas.size())).forEach(r -> initial.get(r).add(model));
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
      List<String[]> missing = new ArrayList<>();
      for (String r : alive) {
        models.stream().filter(m -> !loaded.get(r).contains(m)).forEach(m -> missing.add(new String[] {r, m}));
      }
      boolean unload = random.nextDouble() < UNLOAD_ODDS || missing.isEmpty();
      if (unload && (!lastLiveCopy || random.nextDouble() < LAST_COPY_UNLOAD_SHARE)) {
        loaded.get(replica).remove(model);
        actions.add(new Action(now, Kind.UNLOAD, replica, model, 0, Map.of()));
      } else if (!missing.isEmpty()) {
        String[] pair = missing.get(random.nextInt(missing.size()));
        actions.add(load(random, now, pair[0], pair[1], loaded));
      }
    }
    actions.sort(Comparator.comparingLong(Action::atMillis));
    Map<String, Set<String>> frozen = new LinkedHashMap<>();
    initial.forEach((r, ms) -> frozen.put(r, Set.copyOf(ms)));
    return new ChaosPlan(seed, Collections.unmodifiableMap(frozen), List.copyOf(actions));
  }

  static int initialCopies(int replicas) {
    return (2 * replicas + 2) / 3;
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
