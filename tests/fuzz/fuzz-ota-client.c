/* fuzz-ota-client.c: libFuzzer target for the OTA client's reply handling
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <gio/gio.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "espy-firmware-image.h"
#include "espy-ota-client.h"
#include "fuzz-common.h"

/* The real EspyOtaClient uploads to a scripted "device" on 127.0.0.1: a
 * thread that accepts the connection, writes the fuzz input as everything
 * the device says, shuts its sending side and then reads (and drops) what
 * the client sends until the client hangs up. The client therefore meets
 * any reply, in any order, cut off anywhere; the end of the script is an
 * EOF, so no iteration waits for a timeout.
 *
 * Byte 0 picks the variant: bit 0 a password (auth challenges), bit 1
 * check-only instead of upload, bit 2 an image the client will compress,
 * bits 3-4 the feature flags the client offers. */

static int listen_fd = -1;
static guint16 listen_port;
static GMutex script_lock;
static GBytes *script;

static void
drain_and_close (int fd)
{
  char buf[4096];

  for (;;)
    {
      ssize_t n = read (fd, buf, sizeof buf);

      if (n > 0 || (n < 0 && errno == EINTR))
        continue;
      break;
    }
  close (fd);
}

static gpointer
device_thread (gpointer user_data)
{
  for (;;)
    {
      int fd = accept (listen_fd, NULL, NULL);
      g_autoptr(GBytes) reply = NULL;
      const guint8 *p;
      gsize len = 0;

      if (fd < 0)
        {
          if (errno == EINTR || errno == ECONNABORTED)
            continue;
          g_error ("accept: %s", g_strerror (errno));
        }
      g_mutex_lock (&script_lock);
      reply = script != NULL ? g_bytes_ref (script) : g_bytes_new (NULL, 0);
      g_mutex_unlock (&script_lock);

      p = g_bytes_get_data (reply, &len);
      while (len > 0)
        {
          ssize_t n = send (fd, p, len, MSG_NOSIGNAL);

          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0)
            break;   /* the client gave up and closed: fine */
          p += n;
          len -= (gsize) n;
        }
      shutdown (fd, SHUT_WR);
      drain_and_close (fd);
    }
  return NULL;
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  struct sockaddr_in addr = { 0, };
  socklen_t addr_len = sizeof addr;

  if (listen_fd >= 0)
    return 0;
  listen_fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert (listen_fd >= 0);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind (listen_fd, (struct sockaddr *) &addr, sizeof addr) != 0 ||
      listen (listen_fd, 8) != 0 ||
      getsockname (listen_fd, (struct sockaddr *) &addr, &addr_len) != 0)
    g_error ("cannot listen on 127.0.0.1: %s", g_strerror (errno));
  listen_port = ntohs (addr.sin_port);
  g_thread_unref (g_thread_new ("fuzz-device", device_thread, NULL));
  return 0;
}

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (g_task_get_source_tag (G_TASK (result)) == espy_ota_client_check_async)
    ok = espy_ota_client_check_finish (ESPY_OTA_CLIENT (source), result, &error);
  else
    ok = espy_ota_client_upload_finish (ESPY_OTA_CLIENT (source), result, &error);
  g_assert (ok == (error == NULL));
  if (error != NULL)
    g_assert (g_utf8_validate (error->message, -1, NULL));
  *done = TRUE;
}

static EspyFirmwareImage *
make_image (gboolean compressible)
{
  gsize size = 3000;
  guint8 *bytes = g_malloc (size);
  g_autoptr(GBytes) data = NULL;
  g_autoptr(GError) error = NULL;
  EspyFirmwareImage *image;

  /* An ESP app image: 0xE9, then either a compressible run or noise. */
  for (gsize i = 0; i < size; i++)
    bytes[i] = compressible ? (guint8) (i / 64) : (guint8) ((i * 2654435761u) >> 13);
  bytes[0] = 0xE9;
  data = g_bytes_new_take (bytes, size);
  image = espy_firmware_image_new_from_bytes (data, "fuzz.bin", &error);
  g_assert_no_error (error);
  return image;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static EspyFirmwareImage *images[2];
  g_autoptr(GMainContext) context = NULL;
  g_autoptr(EspyOtaClient) client = NULL;
  gboolean done = FALSE;
  guint8 variant;
  gint64 deadline;

  fuzz_init_logging ();
  if (listen_fd < 0)
    LLVMFuzzerInitialize (NULL, NULL);
  if (images[0] == NULL)
    {
      images[0] = make_image (FALSE);
      images[1] = make_image (TRUE);
    }
  if (size < 1 || size > 65536)
    return 0;
  variant = data[0];

  g_mutex_lock (&script_lock);
  g_clear_pointer (&script, g_bytes_unref);
  script = g_bytes_new (data + 1, size - 1);
  g_mutex_unlock (&script_lock);

  context = g_main_context_new ();
  g_main_context_push_thread_default (context);

  client = espy_ota_client_new ("127.0.0.1", listen_port);
  /* Bounded: the script ends in an EOF, these only guard against a hang. */
  espy_ota_client_set_timeouts (client, 2000, 2000);
  espy_ota_client_set_retries (client, 0, 0);
  espy_ota_client_set_window (client, 1 + (variant >> 5));
  espy_ota_client_set_features (client, (variant >> 3) & 0x03);
  if (variant & 0x01)
    espy_ota_client_set_password (client, "fuzz-password");

  if (variant & 0x02)
    espy_ota_client_check_async (client, NULL, on_done, &done);
  else
    espy_ota_client_upload_async (client, images[(variant >> 2) & 1], NULL, on_done, &done);

  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (!done)
    {
      g_main_context_iteration (context, TRUE);
      if (g_get_monotonic_time () > deadline)
        g_error ("the OTA client did not finish within 10 s of the script's end");
    }
  (void) espy_ota_client_get_failed_stage (client);
  (void) espy_ota_client_get_device_code (client);

  /* Let the client's last callbacks (closing the connection) run before the
   * context goes. */
  g_clear_object (&client);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);
  return 0;
}
