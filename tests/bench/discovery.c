/* discovery.c: how fast EspyDiscovery finds many devices, and how long it
 * ever holds the main loop. Runs inside tests/test-env.sh (real
 * avahi-daemon on a private loopback); a child process (this program with
 * --publish-child N) announces the simulated devices, so its D-Bus work
 * does not count against our main loop.
 *
 *   live: discovery runs, then N devices appear: time until every one is
 *         known with its full TXT (includes avahi's ~1 s of probing);
 *   cold: N devices are announced, discovery starts: time until all known.
 * Main loop: the largest gap between runs of a 1 ms timeout.
 * Targets: all of them within 3 s, no gap above 50 ms.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib-unix.h>
#include <stdio.h>
#include <stdlib.h>

#include "espy-discovery.h"
#include "espy-sim-publisher.h"

#define DEFAULT_DEVICES 200
#define TARGET_ALL_MS   3000
#define TARGET_GAP_MS   50

static const char * const platforms[] = { "ESP32", "ESP8266", "RP2040", "BK7231N" };
static const char * const boards[] = { "esp32dev", "nodemcuv2", "rpipicow", "generic-bk7231n-qfn32-tuya" };

/* Child: publish N devices, say "ready" once all are established, live
 * until our stdin closes. */
static gboolean
stdin_closed (int          fd,
              GIOCondition condition,
              gpointer     user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static int
run_publisher_child (guint n)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GPtrArray) publishers = g_ptr_array_new_with_free_func (g_object_unref);
  gboolean ready = FALSE;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("bench-%03u", i);
      g_autofree char *friendly = g_strdup_printf ("Bench device %u", i);
      g_autofree char *version = g_strdup_printf ("2025.%u.%u", 1 + i % 12, i % 5);
      EspySimPublisher *publisher = espy_sim_publisher_new (name);
      g_autoptr(GError) error = NULL;

      espy_sim_publisher_set_friendly_name (publisher, friendly);
      espy_sim_publisher_set_version (publisher, version);
      espy_sim_publisher_set_platform (publisher, platforms[i % G_N_ELEMENTS (platforms)]);
      espy_sim_publisher_set_board (publisher, boards[i % G_N_ELEMENTS (boards)]);
      espy_sim_publisher_set_generation (publisher, i % 3);
      espy_sim_publisher_set_api_encryption (publisher, i % 2 == 0, TRUE);
      espy_sim_publisher_set_api_port (publisher, 30000 + i);
      espy_sim_publisher_set_web_port (publisher, i % 4 == 0 ? 40000 + i : 0);
      if (!espy_sim_publisher_publish (publisher, &error))
        {
          g_printerr ("publish %s: %s\n", name, error->message);
          return 1;
        }
      g_ptr_array_add (publishers, publisher);
    }
  g_unix_fd_add (0, G_IO_IN | G_IO_HUP | G_IO_ERR, stdin_closed, loop);

  while (!ready)
    {
      ready = TRUE;
      for (guint i = 0; i < publishers->len && ready; i++)
        {
          EspySimPublisherState state = espy_sim_publisher_get_state (g_ptr_array_index (publishers, i));

          if (state == ESPY_SIM_PUBLISHER_STATE_COLLISION || state == ESPY_SIM_PUBLISHER_STATE_FAILED)
            {
              g_printerr ("%s\n", espy_sim_publisher_get_message (g_ptr_array_index (publishers, i)));
              return 1;
            }
          ready = state == ESPY_SIM_PUBLISHER_STATE_ESTABLISHED;
        }
      if (!ready)
        g_main_context_iteration (NULL, TRUE);
    }
  printf ("ready\n");
  fflush (stdout);
  g_main_loop_run (loop);
  return 0;
}

/* Parent */

typedef struct {
  gint64  last;
  gint64  max_gap;
  gint64  max_at;   /* when the longest gap ended */
} Gap;

static gboolean
gap_tick (gpointer user_data)
{
  Gap *gap = user_data;
  gint64 now = g_get_monotonic_time ();

  if (gap->last != 0 && now - gap->last > gap->max_gap)
    {
      gap->max_gap = now - gap->last;
      gap->max_at = now;
    }
  gap->last = now;
  return G_SOURCE_CONTINUE;
}

typedef struct {
  guint   expected;
  guint   complete;
  gint64  all_at;
  GHashTable *done;
} Count;

static gboolean
record_complete (EspyMdnsRecord *record)
{
  return g_str_has_prefix (espy_mdns_record_get_name (record), "bench-")
         && espy_mdns_record_get_version (record) != NULL
         && espy_mdns_record_get_mac (record) != NULL
         && espy_mdns_record_get_platform (record) != NULL
         && espy_mdns_record_get_board (record) != NULL
         && espy_mdns_record_get_friendly_name (record) != NULL
         && espy_mdns_record_get_address (record) != NULL
         && espy_mdns_record_get_port (record) != 0;
}

static void
on_record (EspyDiscovery  *discovery,
           EspyMdnsRecord *record,
           Count          *count)
{
  if (!record_complete (record) || g_hash_table_contains (count->done, espy_mdns_record_get_name (record)))
    return;
  g_hash_table_add (count->done, g_strdup (espy_mdns_record_get_name (record)));
  if (++count->complete == count->expected)
    count->all_at = g_get_monotonic_time ();
}

static void
child_line_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  gint64 *ready_at = user_data;
  g_autofree char *line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source), result, NULL, NULL);

  if (g_strcmp0 (line, "ready") == 0)
    *ready_at = g_get_monotonic_time ();
  else
    *ready_at = -1;
}

static gboolean
timeout_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs discovery until COUNT is complete (or 30 s); returns ms from T0. */
static double
measure (EspyDiscovery *discovery,
         Count         *count,
         gint64         t0)
{
  gboolean timed_out = FALSE;
  guint timeout_id = g_timeout_add (30000, timeout_cb, &timed_out);

  while (count->complete < count->expected && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (timeout_id);
  if (timed_out)
    return -1;
  return (count->all_at - t0) / 1000.0;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GDataInputStream) child_out = NULL;
  g_autoptr(EspyDiscovery) discovery = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *count_arg = NULL;
  Count count = { 0 };
  Gap gap = { 0 };
  gint64 t0;
  gint64 spawned_at;
  gint64 ready_at = 0;
  double live_ms, cold_ms, live_gap_ms, cold_gap_ms;
  guint n = DEFAULT_DEVICES;
  guint gap_id;
  gboolean ok;

  if (argc == 3 && g_strcmp0 (argv[1], "--publish-child") == 0)
    return run_publisher_child ((guint) g_ascii_strtoull (argv[2], NULL, 10));
  if (argc == 2)
    n = (guint) g_ascii_strtoull (argv[1], NULL, 10);
  if (g_getenv ("DBUS_SYSTEM_BUS_ADDRESS") == NULL)
    {
      g_print ("discovery: skipped: run inside tests/test-env.sh (needs the sandbox's avahi-daemon)\n");
      return 77;
    }

  count.expected = n;
  count.done = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  /* Live: discovery first, then the devices appear. */
  discovery = espy_discovery_new ();
  g_signal_connect (discovery, "record-added", G_CALLBACK (on_record), &count);
  g_signal_connect (discovery, "record-updated", G_CALLBACK (on_record), &count);
  gap_id = g_timeout_add (1, gap_tick, &gap);
  espy_discovery_start (discovery);
  while (espy_discovery_get_state (discovery) == ESPY_DISCOVERY_STATE_STARTING)
    g_main_context_iteration (NULL, TRUE);
  if (espy_discovery_get_state (discovery) != ESPY_DISCOVERY_STATE_RUNNING)
    {
      g_printerr ("discovery: %s\n", espy_discovery_get_message (discovery));
      return 1;
    }

  count_arg = g_strdup_printf ("%u", n);
  t0 = spawned_at = g_get_monotonic_time ();
  child = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                            argv[0], "--publish-child", count_arg, NULL);
  if (child == NULL)
    {
      g_printerr ("discovery: %s\n", error->message);
      return 1;
    }
  child_out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (child));
  g_data_input_stream_read_line_async (child_out, G_PRIORITY_DEFAULT, NULL, child_line_done, &ready_at);

  live_ms = measure (discovery, &count, t0);
  live_gap_ms = gap.max_gap / 1000.0;
  if (g_getenv ("ESPY_BENCH_DEBUG") != NULL)
    g_printerr ("live gap ended %.1f ms after spawn\n", (gap.max_at - spawned_at) / 1000.0);
  while (ready_at == 0)
    g_main_context_iteration (NULL, TRUE);

  /* Cold: everything is announced; a fresh discovery starts. */
  g_clear_object (&discovery);
  g_hash_table_remove_all (count.done);
  count.complete = 0;
  discovery = espy_discovery_new ();
  g_signal_connect (discovery, "record-added", G_CALLBACK (on_record), &count);
  g_signal_connect (discovery, "record-updated", G_CALLBACK (on_record), &count);
  gap.max_gap = 0;
  gap.last = g_get_monotonic_time ();
  t0 = g_get_monotonic_time ();
  espy_discovery_start (discovery);
  cold_ms = measure (discovery, &count, t0);
  cold_gap_ms = gap.max_gap / 1000.0;

  g_source_remove (gap_id);
  g_clear_object (&discovery);
  g_output_stream_close (g_subprocess_get_stdin_pipe (child), NULL, NULL);
  g_subprocess_wait (child, NULL, NULL);

  g_print ("discovery: %u devices\n", n);
  if (ready_at > 0)
    g_print ("  publisher child: all %u established after %.0f ms\n", n, (ready_at - spawned_at) / 1000.0);
  g_print ("  live: all %u seen with full TXT after %.0f ms (from spawning the publisher)\n", n, live_ms);
  g_print ("  cold: all %u seen with full TXT after %.0f ms (from espy_discovery_start)\n", n, cold_ms);
  g_print ("  main loop blocked at most: live %.1f ms, cold %.1f ms\n", live_gap_ms, cold_gap_ms);
  ok = live_ms >= 0 && cold_ms >= 0 && cold_ms <= TARGET_ALL_MS && live_gap_ms <= TARGET_GAP_MS
       && cold_gap_ms <= TARGET_GAP_MS;
  g_print ("  targets (cold start <= %d ms, blocked <= %d ms): %s\n", TARGET_ALL_MS, TARGET_GAP_MS,
           ok ? "met" : "MISSED");
  g_hash_table_unref (count.done);
  return 0;
}
