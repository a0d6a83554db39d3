/* test-ota-client.c: EspyOtaClient against espy-sim over real loopback sockets:
 * every generation x password case, protocol v1, compression, a 4 MB image,
 * cancellation, every fault at every step, a busy device.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "espy-firmware-image.h"
#include "espy-ota-client.h"
#include "espy-ota-error.h"
#include "espy-ota-protocol.h"
#include "espy-sim-device.h"

typedef struct
{
  EspySimDevice *sim;
  EspyOtaClient *client;
  EspyFirmwareImage *image;
  GCancellable *cancellable;
  gboolean done;
  gboolean ok;
  GError *error;
  GPtrArray *stages;
  guint64 last_acked;
  guint progress_count;
  gboolean acked_monotonic;
  guint64 cancel_after;   /* cancel once this many bytes are acked (0 = never) */
} Fixture;

static void
on_stage (EspyOtaClient *client,
          guint          stage,
          Fixture       *f)
{
  g_ptr_array_add (f->stages, (gpointer) espy_ota_stage_to_nick (stage));
}

static void
on_progress (EspyOtaClient *client,
             guint64        sent,
             guint64        acked,
             guint64        total,
             Fixture       *f)
{
  if (acked < f->last_acked || acked > total || acked > sent)
    f->acked_monotonic = FALSE;
  f->last_acked = acked;
  f->progress_count++;
  if (f->cancel_after > 0 && acked >= f->cancel_after)
    g_cancellable_cancel (f->cancellable);
}

static EspyFirmwareImage *
make_image (gsize       size,
            const char *version,
            guint32     seed)
{
  g_autoptr(GBytes) bytes = espy_sim_make_image (size, version, "Nov 25 2026, 12:00:00", seed);
  g_autoptr(GError) error = NULL;
  EspyFirmwareImage *image = espy_firmware_image_new_from_bytes (bytes, "test.bin", &error);

  g_assert_no_error (error);
  return image;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->sim = espy_sim_device_new ("testdev");
  espy_sim_device_set_platform (f->sim, "ESP32");
  espy_sim_device_set_version (f->sim, "2025.10.0");
  espy_sim_device_set_boot_ms (f->sim, 50);
  f->stages = g_ptr_array_new ();
  f->cancellable = g_cancellable_new ();
  f->acked_monotonic = TRUE;
  f->image = make_image (3 * ESPY_OTA_BLOCK_SIZE + 123, "2026.1.0", 1);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->client != NULL)
    g_signal_handlers_disconnect_by_data (f->client, f);
  g_clear_object (&f->client);
  espy_sim_device_stop (f->sim);
  g_clear_object (&f->sim);
  g_clear_object (&f->image);
  g_clear_object (&f->cancellable);
  g_clear_error (&f->error);
  g_ptr_array_unref (f->stages);
}

static void
start_sim (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  espy_sim_device_start (f->sim, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (espy_sim_device_get_ota_port (f->sim), >, 0);
}

static EspyOtaClient *
make_client (Fixture    *f,
             const char *password)
{
  g_clear_object (&f->client);
  f->client = espy_ota_client_new ("127.0.0.1", espy_sim_device_get_ota_port (f->sim));
  espy_ota_client_set_password (f->client, password);
  espy_ota_client_set_retries (f->client, 0, 10);
  g_signal_connect (f->client, "stage-changed", G_CALLBACK (on_stage), f);
  g_signal_connect (f->client, "progress", G_CALLBACK (on_progress), f);
  return f->client;
}

static void
upload_done (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  Fixture *f = data;

  f->ok = espy_ota_client_upload_finish (ESPY_OTA_CLIENT (source), result, &f->error);
  f->done = TRUE;
}

static void
check_done (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  Fixture *f = data;

  f->ok = espy_ota_client_check_finish (ESPY_OTA_CLIENT (source), result, &f->error);
  f->done = TRUE;
}

/* Runs the main loop until the upload ends; returns the seconds it took.
 * Fails the test if it takes longer than LIMIT_S: nothing may hang. */
static double
run_upload (Fixture *f,
            double   limit_s)
{
  gint64 start = g_get_monotonic_time ();
  gint64 deadline = start + (gint64) (limit_s * G_USEC_PER_SEC);

  f->done = FALSE;
  f->ok = FALSE;
  g_clear_error (&f->error);
  g_ptr_array_set_size (f->stages, 0);
  espy_ota_client_upload_async (f->client, f->image, f->cancellable, upload_done, f);
  while (!f->done)
    {
      g_main_context_iteration (NULL, TRUE);
      if (g_get_monotonic_time () > deadline)
        g_error ("upload did not end within %.1f s (stage %s)", limit_s,
                 espy_ota_stage_to_nick (espy_ota_client_get_stage (f->client)));
    }
  return (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
}

static void
run_check (Fixture *f)
{
  f->done = FALSE;
  g_clear_error (&f->error);
  espy_ota_client_check_async (f->client, NULL, check_done, f);
  while (!f->done)
    g_main_context_iteration (NULL, TRUE);
}

static void
wait_running (EspySimDevice *sim)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (espy_sim_device_get_state (sim) != ESPY_SIM_STATE_RUNNING)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    }
}

static gboolean
stages_are (Fixture    *f,
            const char *expected)
{
  g_autoptr(GString) seen = g_string_new (NULL);

  for (guint i = 0; i < f->stages->len; i++)
    g_string_append_printf (seen, "%s%s", i ? "," : "", (const char *) f->stages->pdata[i]);
  if (g_strcmp0 (seen->str, expected) != 0)
    g_test_message ("stages: %s, expected %s", seen->str, expected);
  return g_strcmp0 (seen->str, expected) == 0;
}

/* --- generation x password matrix --------------------------------------------- */

typedef enum { PW_NONE, PW_RIGHT, PW_WRONG, PW_MISSING } PasswordCase;

typedef struct
{
  EspySimGeneration generation;
  PasswordCase password;
} MatrixCase;

static void
test_matrix (Fixture       *f,
             gconstpointer  data)
{
  const MatrixCase *mc = data;
  const char *device_pw = mc->password == PW_NONE ? NULL : "s3cret pässword";
  const char *client_pw = NULL;
  GBytes *received = NULL;

  switch (mc->password)
    {
    case PW_NONE: client_pw = NULL; break;
    case PW_RIGHT: client_pw = "s3cret pässword"; break;
    case PW_WRONG: client_pw = "not it"; break;
    case PW_MISSING: client_pw = NULL; break;
    default: g_assert_not_reached ();
    }

  espy_sim_device_set_generation (f->sim, mc->generation);
  espy_sim_device_set_password (f->sim, device_pw);
  start_sim (f);
  make_client (f, client_pw);
  run_upload (f, 20);

  switch (mc->password)
    {
    case PW_NONE:
    case PW_RIGHT:
      g_assert_no_error (f->error);
      g_assert_true (f->ok);
      g_assert_true (stages_are (f, mc->password == PW_NONE
                                 ? "connect,handshake,auth,prepare,upload,verify,reboot,done"
                                 : "connect,handshake,auth,prepare,upload,verify,reboot,done"));
      g_assert_cmpstr (espy_ota_client_get_auth_method (f->client), ==,
                       mc->password == PW_NONE ? NULL
                       : mc->generation == ESPY_SIM_GENERATION_2024_2 ? "md5" : "sha256");
      wait_running (f->sim);
      g_assert_cmpuint (espy_sim_device_get_upload_count (f->sim), ==, 1);
      received = espy_sim_device_get_last_image (f->sim);
      g_assert_true (g_bytes_equal (received, espy_firmware_image_get_bytes (f->image)));
      /* The device now reports the version the image carries. */
      g_assert_cmpstr (espy_sim_device_get_version (f->sim), ==, "2026.1.0");
      g_assert_true (f->acked_monotonic);
      g_assert_cmpuint (espy_ota_client_get_bytes_acked (f->client), ==,
                        espy_firmware_image_get_size (f->image));
      break;
    case PW_WRONG:
      g_assert_error (f->error, ESPY_OTA_ERROR, ESPY_OTA_ERROR_PASSWORD_REJECTED);
      g_assert_cmpint (espy_ota_client_get_failed_stage (f->client), ==, ESPY_OTA_STAGE_AUTH);
      g_assert_cmpuint (espy_sim_device_get_upload_count (f->sim), ==, 0);
      /* The message never repeats the password. */
      g_assert_null (strstr (f->error->message, "not it"));
      break;
    case PW_MISSING:
      g_assert_error (f->error, ESPY_OTA_ERROR, ESPY_OTA_ERROR_PASSWORD_REQUIRED);
      g_assert_cmpuint (espy_sim_device_get_upload_count (f->sim), ==, 0);
      break;
    default:
      g_assert_not_reached ();
    }
}

/* A 2026.1 device with a password refuses a client that lacks SHA256. */
static void
test_sha256_required (Fixture       *f,
                      gconstpointer  data)
{
  espy_sim_device_set_generation (f->sim, ESPY_SIM_GENERATION_2026_1);
  espy_sim_device_set_password (f->sim, "pw");
  start_sim (f);
  make_client (f, "pw");
  espy_ota_client_set_features (f->client, ESPY_OTA_FEATURE_COMPRESSION);
  run_upload (f, 10);
  g_assert_error (f->error, ESPY_OTA_ERROR, ESPY_OTA_ERROR_SHA256_REQUIRED);
  g_assert_cmpint (espy_ota_client_get_device_code (f->client), ==, 0x82);
}

/* 2025.10 falls back to MD5 for a client without SHA256. */
static void
test_md5_fallback (Fixture       *f,
                   gconstpointer  data)
{
  espy_sim_device_set_generation (f->sim, ESPY_SIM_GENERATION_2025_10);
  espy_sim_device_set_password (f->sim, "pw");
  start_sim (f);
  make_client (f, "pw");
  espy_ota_client_set_features (f->client, ESPY_OTA_FEATURE_COMPRESSION);
  run_upload (f, 10);
  g_assert_no_error (f->error);
  g_assert_cmpstr (espy_ota_client_get_auth_method (f->client), ==, "md5");
}

static void
test_protocol_v1 (Fixture       *f,
                  gconstpointer  data)
{
  GBytes *received = NULL;

  espy_sim_device_set_ota_version (f->sim, 1);
  start_sim (f);
  make_client (f, NULL);
  run_upload (f, 10);
  g_assert_no_error (f->error);
  g_assert_cmpuint (espy_ota_client_get_protocol_version (f->client), ==, 1);
  g_assert_true (f->acked_monotonic);
  g_assert_cmpuint (f->last_acked, ==, espy_firmware_image_get_size (f->image));
  wait_running (f->sim);
  received = espy_sim_device_get_last_image (f->sim);
  g_assert_true (g_bytes_equal (received, espy_firmware_image_get_bytes (f->image)));
}

static void
test_compression (Fixture       *f,
                  gconstpointer  data)
{
  GBytes *received = NULL;

  g_clear_object (&f->image);
  f->image = make_image (600 * 1024, "2024.6.1", 7);
  espy_sim_device_set_platform (f->sim, "ESP8266");
  espy_sim_device_set_generation (f->sim, ESPY_SIM_GENERATION_2024_2);
  espy_sim_device_set_password (f->sim, "pw");
  start_sim (f);
  make_client (f, "pw");
  run_upload (f, 20);
  g_assert_no_error (f->error);
  g_assert_true (espy_ota_client_get_compressed (f->client));
  /* Size and progress describe the gzip stream, not the image. */
  g_assert_cmpuint (espy_ota_client_get_total (f->client), !=, espy_firmware_image_get_size (f->image));
  wait_running (f->sim);
  received = espy_sim_device_get_last_image (f->sim);
  g_assert_true (g_bytes_equal (received, espy_firmware_image_get_bytes (f->image)));
  g_assert_cmpstr (espy_sim_device_get_version (f->sim), ==, "2024.6.1");
}

/* ESP32 never accepts compression, even when offered. */
static void
test_no_compression_esp32 (Fixture       *f,
                           gconstpointer  data)
{
  start_sim (f);
  make_client (f, NULL);
  run_upload (f, 10);
  g_assert_no_error (f->error);
  g_assert_false (espy_ota_client_get_compressed (f->client));
  g_assert_cmpuint (espy_ota_client_get_total (f->client), ==, espy_firmware_image_get_size (f->image));
}

static void
test_big_image (Fixture       *f,
                gconstpointer  data)
{
  GBytes *received = NULL;
  double secs;

  g_clear_object (&f->image);
  f->image = make_image (4 * 1024 * 1024, "2026.2.0", 99);
  espy_sim_device_set_generation (f->sim, ESPY_SIM_GENERATION_2026_1);
  espy_sim_device_set_password (f->sim, "pw");
  start_sim (f);
  make_client (f, "pw");
  secs = run_upload (f, 60);
  g_assert_no_error (f->error);
  g_test_message ("4 MiB over loopback in %.2f s", secs);
  g_assert_cmpuint (f->progress_count, >=, 4 * 1024 * 1024 / ESPY_OTA_BLOCK_SIZE);
  wait_running (f->sim);
  received = espy_sim_device_get_last_image (f->sim);
  g_assert_true (g_bytes_equal (received, espy_firmware_image_get_bytes (f->image)));
  g_assert_cmpfloat (espy_ota_client_get_rate (f->client), >, 0);
}

static void
test_cancel_mid_upload (Fixture       *f,
                        gconstpointer  data)
{
  g_clear_object (&f->image);
  f->image = make_image (1024 * 1024, "2026.2.0", 3);
  /* Slow flash so the upload is surely still running when we cancel. */
  espy_sim_device_set_flash_rate (f->sim, 2 * 1024 * 1024);
  start_sim (f);
  make_client (f, NULL);
  f->cancel_after = 256 * 1024;
  run_upload (f, 10);
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (espy_ota_client_get_failed_stage (f->client), ==, ESPY_OTA_STAGE_UPLOAD);
  g_assert_cmpuint (espy_sim_device_get_upload_count (f->sim), ==, 0);

  /* The device serves the next session normally. */
  f->cancel_after = 0;
  g_cancellable_reset (f->cancellable);
  g_clear_object (&f->image);
  f->image = make_image (20000, "2026.2.1", 4);
  wait_running (f->sim);
  make_client (f, NULL);
  run_upload (f, 15);
  g_assert_no_error (f->error);
}

static void
test_check_only (Fixture       *f,
                 gconstpointer  data)
{
  espy_sim_device_set_generation (f->sim, ESPY_SIM_GENERATION_2026_1);
  espy_sim_device_set_password (f->sim, "right");
  start_sim (f);

  make_client (f, "right");
  run_check (f);
  g_assert_no_error (f->error);
  g_assert_true (f->ok);

  make_client (f, "wrong");
  run_check (f);
  g_assert_error (f->error, ESPY_OTA_ERROR, ESPY_OTA_ERROR_PASSWORD_REJECTED);
  g_assert_cmpuint (espy_sim_device_get_upload_count (f->sim), ==, 0);
}

/* --- faults -------------------------------------------------------------------- */

typedef struct
{
  EspySimStep step;
  EspySimFaultKind kind;
  guint8 byte;
  /* expected */
  EspyOtaError code;
  EspyOtaStage stage;
} FaultCase;

static void
test_fault (Fixture       *f,
            gconstpointer  data)
{
  const FaultCase *fc = data;
  double secs;

  espy_sim_device_set_generation (f->sim, ESPY_SIM_GENERATION_2025_10);
  espy_sim_device_set_password (f->sim, "pw");
  espy_sim_device_add_fault (f->sim, fc->step, fc->kind, fc->byte);
  start_sim (f);
  make_client (f, "pw");
  espy_ota_client_set_timeouts (f->client, 400, 600);
  secs = run_upload (f, 10);
  g_assert_error (f->error, ESPY_OTA_ERROR, (gint) fc->code);
  g_assert_cmpint (espy_ota_client_get_failed_stage (f->client), ==, fc->stage);
  g_assert_cmpuint (espy_sim_device_get_upload_count (f->sim), ==, 0);
  if (fc->kind == ESPY_SIM_FAULT_ERROR)
    g_assert_cmpint (espy_ota_client_get_device_code (f->client), ==, fc->byte);
  /* Stalls end at the stage's timeout, everything else at once. */
  if (fc->kind == ESPY_SIM_FAULT_STALL)
    g_assert_cmpfloat (secs, >=, 0.35);
  g_assert_cmpfloat (secs, <, 3.0);
  g_assert_nonnull (f->error->message);
  g_assert_cmpuint (strlen (f->error->message), >, 20);
}

/* Retries: a network failure before the data phase is tried again, a
 * device error byte never is. */
static void
test_retry_policy (Fixture       *f,
                   gconstpointer  data)
{
  espy_sim_device_add_fault (f->sim, ESPY_SIM_STEP_MAGIC, ESPY_SIM_FAULT_CLOSE, 0);
  start_sim (f);
  make_client (f, NULL);
  espy_ota_client_set_retries (f->client, 2, 20);
  run_upload (f, 10);
  g_assert_error (f->error, ESPY_OTA_ERROR, ESPY_OTA_ERROR_CLOSED);
  g_assert_cmpuint (espy_sim_device_get_connection_count (f->sim), ==, 3);

  espy_sim_device_clear_faults (f->sim);
  espy_sim_device_add_fault (f->sim, ESPY_SIM_STEP_PREPARE, ESPY_SIM_FAULT_ERROR, 0x81);
  make_client (f, NULL);
  espy_ota_client_set_retries (f->client, 2, 20);
  run_upload (f, 10);
  g_assert_error (f->error, ESPY_OTA_ERROR, ESPY_OTA_ERROR_PREPARE_FAILED);
  g_assert_cmpuint (espy_sim_device_get_connection_count (f->sim), ==, 4);
}

static void
test_connection_refused (Fixture       *f,
                         gconstpointer  data)
{
  guint16 port;

  start_sim (f);
  port = espy_sim_device_get_ota_port (f->sim);
  espy_sim_device_stop (f->sim);
  f->client = espy_ota_client_new ("127.0.0.1", port);
  espy_ota_client_set_retries (f->client, 2, 20);
  run_upload (f, 10);
  g_assert_error (f->error, ESPY_OTA_ERROR, ESPY_OTA_ERROR_CONNECTION_REFUSED);
  g_assert_cmpint (espy_ota_client_get_failed_stage (f->client), ==, ESPY_OTA_STAGE_CONNECT);
}

static void
test_resolve_failure (Fixture       *f,
                      gconstpointer  data)
{
  f->client = espy_ota_client_new ("no-such-device.invalid", 3232);
  espy_ota_client_set_retries (f->client, 0, 20);
  espy_ota_client_set_timeouts (f->client, 3000, 3000);
  run_upload (f, 10);
  g_assert_error (f->error, ESPY_OTA_ERROR, ESPY_OTA_ERROR_RESOLVE);
}

/* A second client while one session runs hears silence: it must end in a
 * clear timeout, not hang. */
static void
test_busy_device (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(EspyOtaClient) first = NULL;
  g_autoptr(GCancellable) first_cancel = g_cancellable_new ();
  gint64 deadline;

  espy_sim_device_add_fault (f->sim, ESPY_SIM_STEP_PREPARE, ESPY_SIM_FAULT_STALL, 0);
  start_sim (f);

  /* The first client holds the device's only OTA session. */
  first = espy_ota_client_new ("127.0.0.1", espy_sim_device_get_ota_port (f->sim));
  espy_ota_client_set_retries (first, 0, 10);
  espy_ota_client_set_timeouts (first, 5000, 5000);
  espy_ota_client_upload_async (first, f->image, first_cancel, NULL, NULL);
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (espy_ota_client_get_stage (first) != ESPY_OTA_STAGE_PREPARE)
    {
      g_main_context_iteration (NULL, TRUE);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    }

  make_client (f, NULL);
  espy_ota_client_set_timeouts (f->client, 500, 500);
  run_upload (f, 5);
  g_assert_error (f->error, ESPY_OTA_ERROR, ESPY_OTA_ERROR_TIMEOUT);
  g_assert_cmpint (espy_ota_client_get_failed_stage (f->client), ==, ESPY_OTA_STAGE_HANDSHAKE);
  g_assert_cmpuint (espy_sim_device_get_connection_count (f->sim), ==, 2);

  g_cancellable_cancel (first_cancel);
  while (espy_ota_client_get_stage (first) != ESPY_OTA_STAGE_IDLE &&
         espy_ota_client_get_failed_stage (first) == ESPY_OTA_STAGE_IDLE)
    g_main_context_iteration (NULL, FALSE);
}

static void
add_matrix (void)
{
  static const struct { EspySimGeneration g; const char *name; } gens[] = {
    { ESPY_SIM_GENERATION_2024_2, "2024.2" },
    { ESPY_SIM_GENERATION_2025_10, "2025.10" },
    { ESPY_SIM_GENERATION_2026_1, "2026.1" },
  };
  static const char *pw_names[] = { "no-password", "right-password", "wrong-password", "missing-password" };
  static MatrixCase cases[G_N_ELEMENTS (gens) * 4];
  guint n = 0;

  for (guint g = 0; g < G_N_ELEMENTS (gens); g++)
    for (guint p = 0; p < 4; p++)
      {
        g_autofree char *path = g_strdup_printf ("/ota-client/matrix/%s/%s", gens[g].name, pw_names[p]);
        cases[n].generation = gens[g].g;
        cases[n].password = p;
        g_test_add (path, Fixture, &cases[n], fixture_setup, test_matrix, fixture_teardown);
        n++;
      }
}

static void
add_faults (void)
{
  static const struct { const char *name; FaultCase fc; } faults[] = {
    { "magic/close", { ESPY_SIM_STEP_MAGIC, ESPY_SIM_FAULT_CLOSE, 0, ESPY_OTA_ERROR_CLOSED, ESPY_OTA_STAGE_HANDSHAKE } },
    { "magic/error", { ESPY_SIM_STEP_MAGIC, ESPY_SIM_FAULT_ERROR, 0x80, ESPY_OTA_ERROR_WRONG_MAGIC, ESPY_OTA_STAGE_HANDSHAKE } },
    { "magic/stall", { ESPY_SIM_STEP_MAGIC, ESPY_SIM_FAULT_STALL, 0, ESPY_OTA_ERROR_TIMEOUT, ESPY_OTA_STAGE_HANDSHAKE } },
    { "magic/garbage", { ESPY_SIM_STEP_MAGIC, ESPY_SIM_FAULT_GARBAGE, 0, ESPY_OTA_ERROR_UNEXPECTED_RESPONSE, ESPY_OTA_STAGE_HANDSHAKE } },
    { "features/close", { ESPY_SIM_STEP_FEATURES, ESPY_SIM_FAULT_CLOSE, 0, ESPY_OTA_ERROR_CLOSED, ESPY_OTA_STAGE_HANDSHAKE } },
    { "features/error", { ESPY_SIM_STEP_FEATURES, ESPY_SIM_FAULT_ERROR, 0x94, ESPY_OTA_ERROR_ENCRYPTION_REQUIRED, ESPY_OTA_STAGE_HANDSHAKE } },
    { "features/stall", { ESPY_SIM_STEP_FEATURES, ESPY_SIM_FAULT_STALL, 0, ESPY_OTA_ERROR_TIMEOUT, ESPY_OTA_STAGE_HANDSHAKE } },
    { "features/garbage", { ESPY_SIM_STEP_FEATURES, ESPY_SIM_FAULT_GARBAGE, 0, ESPY_OTA_ERROR_UNEXPECTED_RESPONSE, ESPY_OTA_STAGE_HANDSHAKE } },
    { "auth/close", { ESPY_SIM_STEP_AUTH, ESPY_SIM_FAULT_CLOSE, 0, ESPY_OTA_ERROR_CLOSED, ESPY_OTA_STAGE_AUTH } },
    { "auth/error", { ESPY_SIM_STEP_AUTH, ESPY_SIM_FAULT_ERROR, 0xFF, ESPY_OTA_ERROR_DEVICE_UNKNOWN, ESPY_OTA_STAGE_AUTH } },
    { "auth/stall", { ESPY_SIM_STEP_AUTH, ESPY_SIM_FAULT_STALL, 0, ESPY_OTA_ERROR_TIMEOUT, ESPY_OTA_STAGE_AUTH } },
    { "auth/garbage", { ESPY_SIM_STEP_AUTH, ESPY_SIM_FAULT_GARBAGE, 0, ESPY_OTA_ERROR_UNEXPECTED_RESPONSE, ESPY_OTA_STAGE_AUTH } },
    { "prepare/close", { ESPY_SIM_STEP_PREPARE, ESPY_SIM_FAULT_CLOSE, 0, ESPY_OTA_ERROR_CLOSED, ESPY_OTA_STAGE_PREPARE } },
    { "prepare/error", { ESPY_SIM_STEP_PREPARE, ESPY_SIM_FAULT_ERROR, 0x89, ESPY_OTA_ERROR_ESP32_NOT_ENOUGH_SPACE, ESPY_OTA_STAGE_PREPARE } },
    { "prepare/stall", { ESPY_SIM_STEP_PREPARE, ESPY_SIM_FAULT_STALL, 0, ESPY_OTA_ERROR_TIMEOUT, ESPY_OTA_STAGE_PREPARE } },
    { "prepare/garbage", { ESPY_SIM_STEP_PREPARE, ESPY_SIM_FAULT_GARBAGE, 0, ESPY_OTA_ERROR_UNEXPECTED_RESPONSE, ESPY_OTA_STAGE_PREPARE } },
    { "md5/close", { ESPY_SIM_STEP_MD5, ESPY_SIM_FAULT_CLOSE, 0, ESPY_OTA_ERROR_CLOSED, ESPY_OTA_STAGE_PREPARE } },
    { "md5/error", { ESPY_SIM_STEP_MD5, ESPY_SIM_FAULT_ERROR, 0x85, ESPY_OTA_ERROR_INVALID_BOOTSTRAPPING, ESPY_OTA_STAGE_PREPARE } },
    { "md5/stall", { ESPY_SIM_STEP_MD5, ESPY_SIM_FAULT_STALL, 0, ESPY_OTA_ERROR_TIMEOUT, ESPY_OTA_STAGE_PREPARE } },
    { "md5/garbage", { ESPY_SIM_STEP_MD5, ESPY_SIM_FAULT_GARBAGE, 0, ESPY_OTA_ERROR_UNEXPECTED_RESPONSE, ESPY_OTA_STAGE_PREPARE } },
    { "data/close", { ESPY_SIM_STEP_DATA, ESPY_SIM_FAULT_CLOSE, 0, ESPY_OTA_ERROR_CLOSED, ESPY_OTA_STAGE_UPLOAD } },
    { "data/error", { ESPY_SIM_STEP_DATA, ESPY_SIM_FAULT_ERROR, 0x83, ESPY_OTA_ERROR_WRITE_FAILED, ESPY_OTA_STAGE_UPLOAD } },
    { "data/stall", { ESPY_SIM_STEP_DATA, ESPY_SIM_FAULT_STALL, 0, ESPY_OTA_ERROR_TIMEOUT, ESPY_OTA_STAGE_UPLOAD } },
    { "data/garbage", { ESPY_SIM_STEP_DATA, ESPY_SIM_FAULT_GARBAGE, 0, ESPY_OTA_ERROR_UNEXPECTED_RESPONSE, ESPY_OTA_STAGE_UPLOAD } },
    { "receive/close", { ESPY_SIM_STEP_RECEIVE, ESPY_SIM_FAULT_CLOSE, 0, ESPY_OTA_ERROR_CLOSED, ESPY_OTA_STAGE_VERIFY } },
    { "receive/error", { ESPY_SIM_STEP_RECEIVE, ESPY_SIM_FAULT_ERROR, 0x83, ESPY_OTA_ERROR_WRITE_FAILED, ESPY_OTA_STAGE_VERIFY } },
    { "receive/stall", { ESPY_SIM_STEP_RECEIVE, ESPY_SIM_FAULT_STALL, 0, ESPY_OTA_ERROR_TIMEOUT, ESPY_OTA_STAGE_VERIFY } },
    { "receive/garbage", { ESPY_SIM_STEP_RECEIVE, ESPY_SIM_FAULT_GARBAGE, 0, ESPY_OTA_ERROR_UNEXPECTED_RESPONSE, ESPY_OTA_STAGE_VERIFY } },
    { "end/close", { ESPY_SIM_STEP_END, ESPY_SIM_FAULT_CLOSE, 0, ESPY_OTA_ERROR_CLOSED, ESPY_OTA_STAGE_VERIFY } },
    { "end/error", { ESPY_SIM_STEP_END, ESPY_SIM_FAULT_ERROR, 0x8B, ESPY_OTA_ERROR_MD5_MISMATCH, ESPY_OTA_STAGE_VERIFY } },
    { "end/stall", { ESPY_SIM_STEP_END, ESPY_SIM_FAULT_STALL, 0, ESPY_OTA_ERROR_TIMEOUT, ESPY_OTA_STAGE_VERIFY } },
    { "end/garbage", { ESPY_SIM_STEP_END, ESPY_SIM_FAULT_GARBAGE, 0, ESPY_OTA_ERROR_UNEXPECTED_RESPONSE, ESPY_OTA_STAGE_VERIFY } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (faults); i++)
    {
      g_autofree char *path = g_strdup_printf ("/ota-client/fault/%s", faults[i].name);
      g_test_add (path, Fixture, &faults[i].fc, fixture_setup, test_fault, fixture_teardown);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  add_matrix ();
  g_test_add ("/ota-client/sha256-required", Fixture, NULL, fixture_setup, test_sha256_required, fixture_teardown);
  g_test_add ("/ota-client/md5-fallback", Fixture, NULL, fixture_setup, test_md5_fallback, fixture_teardown);
  g_test_add ("/ota-client/protocol-v1", Fixture, NULL, fixture_setup, test_protocol_v1, fixture_teardown);
  g_test_add ("/ota-client/compression", Fixture, NULL, fixture_setup, test_compression, fixture_teardown);
  g_test_add ("/ota-client/no-compression-esp32", Fixture, NULL, fixture_setup, test_no_compression_esp32, fixture_teardown);
  g_test_add ("/ota-client/big-image", Fixture, NULL, fixture_setup, test_big_image, fixture_teardown);
  g_test_add ("/ota-client/cancel", Fixture, NULL, fixture_setup, test_cancel_mid_upload, fixture_teardown);
  g_test_add ("/ota-client/check-only", Fixture, NULL, fixture_setup, test_check_only, fixture_teardown);
  add_faults ();
  g_test_add ("/ota-client/retry-policy", Fixture, NULL, fixture_setup, test_retry_policy, fixture_teardown);
  g_test_add ("/ota-client/connection-refused", Fixture, NULL, fixture_setup, test_connection_refused, fixture_teardown);
  g_test_add ("/ota-client/resolve-failure", Fixture, NULL, fixture_setup, test_resolve_failure, fixture_teardown);
  g_test_add ("/ota-client/busy-device", Fixture, NULL, fixture_setup, test_busy_device, fixture_teardown);

  return g_test_run ();
}
