/* test-sim.c: the simulator's own helpers (fault syntax, images and their
 * marker) and its life cycle. The protocol itself is tested by the OTA
 * client tests; here only one upload and one fault, to prove the wiring.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-sim-device.h"
#include "espy-ota-protocol.h"

#include <string.h>

/* Fault syntax */

static void
test_fault_parse (void)
{
  static const struct {
    const char *text;
    EspySimStep step;
    EspySimFaultKind kind;
    guint8 byte;
  } good[] = {
    { "magic:close", ESPY_SIM_STEP_MAGIC, ESPY_SIM_FAULT_CLOSE, 0 },
    { "features:stall", ESPY_SIM_STEP_FEATURES, ESPY_SIM_FAULT_STALL, 0 },
    { "auth:garbage", ESPY_SIM_STEP_AUTH, ESPY_SIM_FAULT_GARBAGE, 0x5A },
    { "prepare:error:0x81", ESPY_SIM_STEP_PREPARE, ESPY_SIM_FAULT_ERROR, 0x81 },
    { "md5:error:255", ESPY_SIM_STEP_MD5, ESPY_SIM_FAULT_ERROR, 0xFF },
    { "data:error:0X83", ESPY_SIM_STEP_DATA, ESPY_SIM_FAULT_ERROR, 0x83 },
    { "receive:error:0", ESPY_SIM_STEP_RECEIVE, ESPY_SIM_FAULT_ERROR, 0x00 },
    { "END:Close", ESPY_SIM_STEP_END, ESPY_SIM_FAULT_CLOSE, 0 },
  };
  static const char *const bad[] = {
    "", "magic", "magic:", ":close", "nope:close", "magicx:close", "magic:explode",
    "data:error", "data:error:", "data:error:256", "data:error:0x100", "data:error:-1",
    "data:error:0xZZ", "data:error:12abc", "data:close:extra",
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      EspySimStep step = 99;
      EspySimFaultKind kind = 99;
      guint8 byte = 0x11;

      g_assert_true (espy_sim_fault_parse (good[i].text, &step, &kind, &byte, &error));
      g_assert_no_error (error);
      g_assert_cmpint (step, ==, good[i].step);
      g_assert_cmpint (kind, ==, good[i].kind);
      g_assert_cmpuint (byte, ==, good[i].byte);
    }

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      EspySimStep step = ESPY_SIM_STEP_MD5;
      EspySimFaultKind kind = ESPY_SIM_FAULT_STALL;
      guint8 byte = 0x11;

      g_test_message ("bad fault: “%s”", bad[i]);
      g_assert_false (espy_sim_fault_parse (bad[i], &step, &kind, &byte, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      /* Nothing written on failure. */
      g_assert_cmpint (step, ==, ESPY_SIM_STEP_MD5);
      g_assert_cmpint (kind, ==, ESPY_SIM_FAULT_STALL);
      g_assert_cmpuint (byte, ==, 0x11);
    }
}

/* Images */

static void
test_image_make (void)
{
  static const gsize sizes[] = { 0, 1, 7, 23, 24, 31, 32, 33, 100, 8192, 8193, 300001 };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr(GBytes) image = espy_sim_make_image (sizes[i], "2025.11.1", "Dec 24 2025, 12:00:00", 7);
      g_autoptr(GBytes) again = espy_sim_make_image (sizes[i], "2025.11.1", "Dec 24 2025, 12:00:00", 7);
      const guint8 *data = g_bytes_get_data (image, NULL);

      g_assert_cmpuint (g_bytes_get_size (image), ==, sizes[i]);
      if (sizes[i] > 0)
        g_assert_cmphex (data[0], ==, 0xE9);
      if (sizes[i] >= 24)
        {
          g_assert_cmphex (data[1], ==, 5);     /* segment count */
          g_assert_cmphex (data[23], ==, 1);    /* hash appended */
        }
      /* Same seed, same bytes. */
      g_assert_true (g_bytes_equal (image, again));
    }
}

static void
test_image_seed (void)
{
  g_autoptr(GBytes) a = espy_sim_make_image (65536, NULL, NULL, 1);
  g_autoptr(GBytes) b = espy_sim_make_image (65536, NULL, NULL, 2);
  const guint8 *data = g_bytes_get_data (a, NULL);
  guint counts[256] = { 0 };

  g_assert_false (g_bytes_equal (a, b));
  /* The filler looks random: every byte value shows up, none dominates. */
  for (gsize i = 64; i < 65536; i++)
    counts[data[i]]++;
  for (guint v = 0; v < 256; v++)
    {
      g_assert_cmpuint (counts[v], >, 100);
      g_assert_cmpuint (counts[v], <, 450);
    }
}

static void
test_image_speed (void)
{
  gint64 start = g_get_monotonic_time ();
  g_autoptr(GBytes) image = espy_sim_make_image (4 * 1024 * 1024, "2026.1.0", NULL, 3);
  gint64 elapsed = g_get_monotonic_time () - start;

  g_test_message ("4 MiB image in %.1f ms", elapsed / 1000.0);
  g_assert_cmpuint (g_bytes_get_size (image), ==, 4 * 1024 * 1024);
  /* Well under 100 ms normally; generous for sanitizer builds. */
  g_assert_cmpint (elapsed, <, 2 * G_USEC_PER_SEC);
}

static void
test_image_marker (void)
{
  g_autoptr(GBytes) image = espy_sim_make_image (4096, "2025.12.0-dev", "Nov  5 2026, 16:40:12", 9);
  g_autoptr(GBytes) version_only = espy_sim_make_image (4096, "2024.2.2", NULL, 9);
  g_autoptr(GBytes) none = espy_sim_make_image (4096, NULL, NULL, 9);
  g_autoptr(GBytes) too_small = espy_sim_make_image (40, "2025.12.0", NULL, 9);
  g_autofree char *version = NULL;
  g_autofree char *compilation_time = NULL;
  static const char embedded[] =
    "\x01\x02junk ESPY-SIM-FW:compilation_time=Jan  1 2026, 00:00:01;version=2026.1.0;other=x;\nmore";
  g_autoptr(GBytes) handmade = g_bytes_new_static (embedded, sizeof embedded - 1);
  static const char broken[] = "ESPY-SIM-FW:version=2026.1.0";
  g_autoptr(GBytes) unterminated = g_bytes_new_static (broken, sizeof broken - 1);

  g_assert_true (espy_sim_image_parse_marker (image, &version, &compilation_time));
  g_assert_cmpstr (version, ==, "2025.12.0-dev");
  g_assert_cmpstr (compilation_time, ==, "Nov  5 2026, 16:40:12");
  g_clear_pointer (&version, g_free);
  g_clear_pointer (&compilation_time, g_free);

  g_assert_true (espy_sim_image_parse_marker (version_only, &version, &compilation_time));
  g_assert_cmpstr (version, ==, "2024.2.2");
  g_assert_null (compilation_time);
  g_clear_pointer (&version, g_free);

  g_assert_false (espy_sim_image_parse_marker (none, &version, &compilation_time));
  g_assert_null (version);
  g_assert_false (espy_sim_image_parse_marker (too_small, NULL, NULL));
  g_assert_false (espy_sim_image_parse_marker (unterminated, NULL, NULL));

  /* Anywhere in the image, fields in any order. */
  g_assert_true (espy_sim_image_parse_marker (handmade, &version, &compilation_time));
  g_assert_cmpstr (version, ==, "2026.1.0");
  g_assert_cmpstr (compilation_time, ==, "Jan  1 2026, 00:00:01");
}

/* Device life cycle */

typedef struct {
  GPtrArray *states;   /* of GUINT_TO_POINTER (state) */
  guint finished;
  gboolean ok;
  guint8 code;
} Watch;

static void
on_state_changed (EspySimDevice *device,
                  guint          state,
                  Watch         *watch)
{
  g_ptr_array_add (watch->states, GUINT_TO_POINTER (state));
}

static void
on_upload_finished (EspySimDevice *device,
                    gboolean       ok,
                    guint8         code,
                    Watch         *watch)
{
  watch->finished++;
  watch->ok = ok;
  watch->code = code;
}

static void
watch_init (Watch         *watch,
            EspySimDevice *device)
{
  watch->states = g_ptr_array_new ();
  g_signal_connect (device, "state-changed", G_CALLBACK (on_state_changed), watch);
  g_signal_connect (device, "upload-finished", G_CALLBACK (on_upload_finished), watch);
}

static void
watch_clear (Watch *watch)
{
  g_ptr_array_unref (watch->states);
}

static GSocketConnection *
connect_to (guint16   port,
            GError  **error)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autofree char *address = g_strdup_printf ("127.0.0.1:%u", port);

  g_socket_client_set_timeout (client, 10);
  g_socket_client_set_enable_proxy (client, FALSE);
  return g_socket_client_connect_to_host (client, address, port, NULL, error);
}

static void
test_device_start_stop (void)
{
  g_autoptr(EspySimDevice) device = espy_sim_device_new ("life");
  g_autoptr(EspySimDevice) rival = espy_sim_device_new ("rival");
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) connection = NULL;
  Watch watch = { 0 };
  guint16 port;

  watch_init (&watch, device);
  g_assert_cmpint (espy_sim_device_get_state (device), ==, ESPY_SIM_STATE_STOPPED);
  g_assert_cmpstr (espy_sim_device_get_name (device), ==, "life");

  g_assert_true (espy_sim_device_start (device, &error));
  g_assert_no_error (error);
  port = espy_sim_device_get_ota_port (device);
  g_assert_cmpuint (port, !=, 0);
  g_assert_cmpint (espy_sim_device_get_state (device), ==, ESPY_SIM_STATE_RUNNING);
  g_assert_cmpuint (watch.states->len, ==, 1);

  /* Starting twice is an error, not a second listener. */
  g_assert_false (espy_sim_device_start (device, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_clear_error (&error);

  /* Another device cannot take the same port. */
  espy_sim_device_set_ota_port (rival, port);
  g_assert_false (espy_sim_device_start (rival, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_cmpint (espy_sim_device_get_state (rival), ==, ESPY_SIM_STATE_STOPPED);

  connection = connect_to (port, &error);
  g_assert_no_error (error);
  while (espy_sim_device_get_connection_count (device) < 1)
    g_usleep (1000);
  g_clear_object (&connection);

  espy_sim_device_stop (device);
  g_assert_cmpint (espy_sim_device_get_state (device), ==, ESPY_SIM_STATE_STOPPED);
  g_assert_cmpuint (watch.states->len, ==, 2);
  g_assert_cmpuint (GPOINTER_TO_UINT (watch.states->pdata[1]), ==, ESPY_SIM_STATE_STOPPED);
  espy_sim_device_stop (device);  /* harmless */

  /* The port is closed after stop. */
  connection = connect_to (port, &error);
  g_assert_null (connection);
  g_assert_nonnull (error);
  g_clear_error (&error);

  /* And it can start again, on the same port when asked to. */
  espy_sim_device_set_ota_port (device, port);
  g_assert_true (espy_sim_device_start (device, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (espy_sim_device_get_ota_port (device), ==, port);
  connection = connect_to (port, &error);
  g_assert_no_error (error);
  /* Unref while running with a connected client: dispose stops it. */
  g_clear_object (&device);
  watch_clear (&watch);
}

/* A minimal stop-and-wait client, run in a thread so the test's main
 * context stays free to deliver the simulator's signals. */

typedef struct {
  guint16 port;
  GBytes *image;
  const char *password;
  guint8 features;
  GByteArray *heard;  /* every byte the device sent */
  gboolean done;
} Client;

static gboolean
client_read (GInputStream *in,
             Client       *c,
             gsize         len,
             guint8       *out)
{
  gsize n = 0;

  if (!g_input_stream_read_all (in, out, len, &n, NULL, NULL) || n != len)
    {
      g_byte_array_append (c->heard, out, n);
      return FALSE;
    }
  g_byte_array_append (c->heard, out, n);
  return TRUE;
}

static gpointer
client_thread (gpointer data)
{
  Client *c = data;
  g_autoptr(GSocketConnection) connection = connect_to (c->port, NULL);
  GInputStream *in;
  GOutputStream *out;
  guint8 buf[64];
  gsize size;
  const guint8 *image = g_bytes_get_data (c->image, &size);
  guint8 size_be[4] = { size >> 24, size >> 16, size >> 8, size };
  g_autofree char *md5 = g_compute_checksum_for_bytes (G_CHECKSUM_MD5, c->image);
  guint8 zero = 0;

  g_assert_nonnull (connection);
  in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  out = g_io_stream_get_output_stream (G_IO_STREAM (connection));

  g_output_stream_write_all (out, espy_ota_magic, ESPY_OTA_MAGIC_LEN, NULL, NULL, NULL);
  if (!client_read (in, c, 2, buf))
    goto out;
  g_output_stream_write_all (out, &c->features, 1, NULL, NULL, NULL);
  if (!client_read (in, c, 2, buf))
    goto out;
  if (buf[1] == ESPY_OTA_RESPONSE_REQUEST_AUTH || buf[1] == ESPY_OTA_RESPONSE_REQUEST_SHA256_AUTH)
    {
      EspyOtaHash hash = buf[1] == ESPY_OTA_RESPONSE_REQUEST_AUTH ? ESPY_OTA_HASH_MD5 : ESPY_OTA_HASH_SHA256;
      gsize len = espy_ota_hash_hex_len (hash);
      g_autofree char *nonce = g_malloc0 (len + 1);
      g_autofree char *cnonce = espy_ota_random_nonce (hash);
      g_autofree char *response = NULL;

      if (!client_read (in, c, len, (guint8 *) nonce))
        goto out;
      response = espy_ota_auth_response (hash, c->password, nonce, cnonce);
      g_output_stream_write_all (out, cnonce, len, NULL, NULL, NULL);
      g_output_stream_write_all (out, response, len, NULL, NULL, NULL);
      if (!client_read (in, c, 1, buf) || buf[0] != ESPY_OTA_RESPONSE_AUTH_OK)
        goto out;
    }
  else if (buf[1] != ESPY_OTA_RESPONSE_AUTH_OK)
    goto out;

  g_output_stream_write_all (out, size_be, 4, NULL, NULL, NULL);
  if (!client_read (in, c, 1, buf) || buf[0] != ESPY_OTA_RESPONSE_UPDATE_PREPARE_OK)
    goto out;
  g_output_stream_write_all (out, md5, 32, NULL, NULL, NULL);
  if (!client_read (in, c, 1, buf) || buf[0] != ESPY_OTA_RESPONSE_BIN_MD5_OK)
    goto out;
  for (gsize off = 0; off < size; off += ESPY_OTA_BLOCK_SIZE)
    {
      g_output_stream_write_all (out, image + off, MIN (ESPY_OTA_BLOCK_SIZE, size - off), NULL, NULL, NULL);
      if (!client_read (in, c, 1, buf) || buf[0] != ESPY_OTA_RESPONSE_CHUNK_OK)
        goto out;
    }
  if (!client_read (in, c, 2, buf))
    goto out;
  g_output_stream_write_all (out, &zero, 1, NULL, NULL, NULL);

out:
  g_atomic_int_set (&c->done, TRUE);
  return NULL;
}

static void
run_client (Client *c)
{
  GThread *thread = g_thread_new ("client", client_thread, c);

  while (!g_atomic_int_get (&c->done))
    g_main_context_iteration (NULL, FALSE), g_usleep (1000);
  g_thread_join (thread);
}

static void
test_device_upload (void)
{
  g_autoptr(EspySimDevice) device = espy_sim_device_new ("upload");
  g_autoptr(GBytes) image = espy_sim_make_image (100000, "2026.2.0", "Feb  2 2026, 02:02:02", 5);
  g_autoptr(GError) error = NULL;
  Client c = { 0 };
  Watch watch = { 0 };
  static const EspySimState expected[] = {
    ESPY_SIM_STATE_RUNNING, ESPY_SIM_STATE_UPDATING, ESPY_SIM_STATE_REBOOTING, ESPY_SIM_STATE_RUNNING,
  };
  static const guint8 heard[] = { 0x00, 0x02, 0x40, 0x02 };

  watch_init (&watch, device);
  espy_sim_device_set_generation (device, ESPY_SIM_GENERATION_2026_1);
  espy_sim_device_set_password (device, "s3cret");
  espy_sim_device_set_version (device, "2025.12.1");
  espy_sim_device_set_boot_ms (device, 50);
  g_assert_true (espy_sim_device_start (device, &error));
  g_assert_no_error (error);

  c.port = espy_sim_device_get_ota_port (device);
  c.image = image;
  c.password = "s3cret";
  c.features = ESPY_OTA_CLIENT_FEATURES;
  c.heard = g_byte_array_new ();
  run_client (&c);

  /* Handshake bytes, then 13 acks (ceil(100000/8192)), 0x44, 0x45. */
  g_assert_cmpuint (c.heard->len, ==, 4 + 64 + 1 + 1 + 1 + 13 + 2);
  g_assert_cmpmem (c.heard->data, 4, heard, sizeof heard);
  g_assert_cmphex (c.heard->data[c.heard->len - 2], ==, ESPY_OTA_RESPONSE_RECEIVE_OK);
  g_assert_cmphex (c.heard->data[c.heard->len - 1], ==, ESPY_OTA_RESPONSE_UPDATE_END_OK);

  while (watch.states->len < G_N_ELEMENTS (expected))
    g_main_context_iteration (NULL, TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpuint (GPOINTER_TO_UINT (watch.states->pdata[i]), ==, expected[i]);
  g_assert_cmpuint (watch.finished, ==, 1);
  g_assert_true (watch.ok);
  g_assert_cmphex (watch.code, ==, 0x45);

  g_assert_cmpuint (espy_sim_device_get_upload_count (device), ==, 1);
  g_assert_true (g_bytes_equal (espy_sim_device_get_last_image (device), image));
  g_assert_cmpstr (espy_sim_device_get_version (device), ==, "2026.2.0");
  g_assert_cmpstr (espy_sim_device_get_compilation_time (device), ==, "Feb  2 2026, 02:02:02");
  g_assert_cmpuint (espy_sim_device_get_connection_count (device), ==, 1);

  espy_sim_device_stop (device);
  g_byte_array_unref (c.heard);
  watch_clear (&watch);
}

static void
test_device_fault (void)
{
  g_autoptr(EspySimDevice) device = espy_sim_device_new ("fault");
  g_autoptr(GBytes) image = espy_sim_make_image (1000, NULL, NULL, 5);
  g_autoptr(GError) error = NULL;
  Client c = { 0 };
  Watch watch = { 0 };

  watch_init (&watch, device);
  espy_sim_device_add_fault (device, ESPY_SIM_STEP_MD5, ESPY_SIM_FAULT_ERROR, 0x83);
  g_assert_true (espy_sim_device_start (device, &error));
  g_assert_no_error (error);

  c.port = espy_sim_device_get_ota_port (device);
  c.image = image;
  c.features = ESPY_OTA_CLIENT_FEATURES;
  c.heard = g_byte_array_new ();
  run_client (&c);

  /* 00 02, 40, 41 (no password), 42, then the fault's byte and EOF. */
  g_assert_cmpuint (c.heard->len, ==, 6);
  g_assert_cmphex (c.heard->data[5], ==, 0x83);
  while (watch.finished == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (watch.ok);
  g_assert_cmphex (watch.code, ==, 0x83);
  g_assert_cmpuint (espy_sim_device_get_upload_count (device), ==, 0);
  g_assert_null (espy_sim_device_get_last_image (device));

  /* Faults persist until cleared. */
  g_byte_array_set_size (c.heard, 0);
  c.done = FALSE;
  run_client (&c);
  g_assert_cmpuint (c.heard->len, ==, 6);

  espy_sim_device_clear_faults (device);
  g_byte_array_set_size (c.heard, 0);
  c.done = FALSE;
  run_client (&c);
  g_assert_cmpuint (c.heard->len, ==, 4 + 1 + 1 + 1 + 2);

  espy_sim_device_stop (device);
  g_byte_array_unref (c.heard);
  watch_clear (&watch);
}

static void
test_device_one_client (void)
{
  g_autoptr(EspySimDevice) device = espy_sim_device_new ("busy");
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) first = NULL;
  g_autoptr(GSocketConnection) second = NULL;
  GSocket *second_socket;
  guint8 buf[2];
  gsize n = 0;

  g_assert_true (espy_sim_device_start (device, &error));
  first = connect_to (espy_sim_device_get_ota_port (device), &error);
  g_assert_no_error (error);
  second = connect_to (espy_sim_device_get_ota_port (device), &error);
  g_assert_no_error (error);

  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (first)),
                             espy_ota_magic, ESPY_OTA_MAGIC_LEN, NULL, NULL, &error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (second)),
                             espy_ota_magic, ESPY_OTA_MAGIC_LEN, NULL, NULL, &error);
  g_assert_no_error (error);
  g_input_stream_read_all (g_io_stream_get_input_stream (G_IO_STREAM (first)), buf, 2, &n, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 2);

  /* The second client hears nothing while the first is served... */
  second_socket = g_socket_connection_get_socket (second);
  g_assert_false (g_socket_condition_timed_wait (second_socket, G_IO_IN, 300 * 1000, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_clear_error (&error);
  g_assert_cmpuint (espy_sim_device_get_connection_count (device), ==, 2);

  /* ...and is served once it leaves. */
  g_io_stream_close (G_IO_STREAM (first), NULL, NULL);
  g_input_stream_read_all (g_io_stream_get_input_stream (G_IO_STREAM (second)), buf, 2, &n, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmphex (buf[0], ==, 0x00);
  g_assert_cmphex (buf[1], ==, 0x02);

  espy_sim_device_stop (device);
}

static void
test_device_stop_while_stalled (void)
{
  g_autoptr(EspySimDevice) device = espy_sim_device_new ("stall");
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) connection = NULL;
  guint8 buf[2];
  gsize n = 0;
  gint64 start;

  espy_sim_device_add_fault (device, ESPY_SIM_STEP_MAGIC, ESPY_SIM_FAULT_STALL, 0);
  g_assert_true (espy_sim_device_start (device, &error));
  connection = connect_to (espy_sim_device_get_ota_port (device), &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                             espy_ota_magic, ESPY_OTA_MAGIC_LEN, NULL, NULL, &error);
  g_assert_no_error (error);
  g_usleep (100 * 1000);

  start = g_get_monotonic_time ();
  espy_sim_device_stop (device);
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);

  /* Stop closed the stalled client's socket. */
  g_input_stream_read_all (g_io_stream_get_input_stream (G_IO_STREAM (connection)), buf, 2, &n, NULL, NULL);
  g_assert_cmpuint (n, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sim/fault/parse", test_fault_parse);
  g_test_add_func ("/sim/image/make", test_image_make);
  g_test_add_func ("/sim/image/seed", test_image_seed);
  g_test_add_func ("/sim/image/speed", test_image_speed);
  g_test_add_func ("/sim/image/marker", test_image_marker);
  g_test_add_func ("/sim/device/start-stop", test_device_start_stop);
  g_test_add_func ("/sim/device/upload", test_device_upload);
  g_test_add_func ("/sim/device/fault", test_device_fault);
  g_test_add_func ("/sim/device/one-client", test_device_one_client);
  g_test_add_func ("/sim/device/stop-while-stalled", test_device_stop_while_stalled);

  return g_test_run ();
}
