/* test-firmware-image.c: the checks a firmware file passes before anything
 * is sent, its digests and its gzip form.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <zlib.h>

#include "espy-firmware-image.h"
#include "espy-ota-protocol.h"

/* md5 of 0xE9 followed by ((i * 7 + 3) & 0xFF) for i = 1 .. 99999, computed
 * with python3 hashlib. */
#define PATTERN_SIZE 100000
#define PATTERN_MD5  "99dfeb090ec2977962a1afe050ddc460"

static char *tmp_dir;

static GBytes *
make_pattern_image (gsize size)
{
  guint8 *data = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) ((i * 7 + 3) & 0xFF);
  data[0] = 0xE9;
  return g_bytes_new_take (data, size);
}

static GBytes *
make_filled (gsize  size,
             guint8 fill)
{
  guint8 *data = g_malloc (size);

  memset (data, fill, size);
  return g_bytes_new_take (data, size);
}

static GFile *
write_temp (const char *name,
            GBytes     *bytes)
{
  g_autofree char *path = g_build_filename (tmp_dir, name, NULL);
  g_autoptr(GError) error = NULL;
  gsize len;
  gconstpointer data = g_bytes_get_data (bytes, &len);

  g_file_set_contents (path, data, len, &error);
  g_assert_no_error (error);
  return g_file_new_for_path (path);
}

static GBytes *
inflate_bytes (GBytes *gz)
{
  z_stream zs;
  g_autoptr(GByteArray) out = g_byte_array_new ();
  gsize len;
  const guint8 *data = g_bytes_get_data (gz, &len);
  guint8 buf[65536];
  int ret;

  memset (&zs, 0, sizeof zs);
  /* 15 + 16: gzip only, so a zlib or raw stream would fail the test. */
  g_assert_cmpint (inflateInit2 (&zs, 15 + 16), ==, Z_OK);
  zs.next_in = (Bytef *) data;
  zs.avail_in = len;
  do
    {
      zs.next_out = buf;
      zs.avail_out = sizeof buf;
      ret = inflate (&zs, Z_NO_FLUSH);
      g_assert_true (ret == Z_OK || ret == Z_STREAM_END);
      g_byte_array_append (out, buf, sizeof buf - zs.avail_out);
    }
  while (ret != Z_STREAM_END);
  g_assert_cmpuint (zs.avail_in, ==, 0);
  inflateEnd (&zs);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

static void
test_md5_vector (void)
{
  g_autoptr(GBytes) abc = g_bytes_new_static ("abc", 3);
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);
  g_autofree char *md5_abc = espy_md5_hex (abc);
  g_autofree char *md5_empty = espy_md5_hex (empty);

  g_assert_cmpstr (md5_abc, ==, "900150983cd24fb0d6963f7d28e17f72");
  g_assert_cmpstr (md5_empty, ==, "d41d8cd98f00b204e9800998ecf8427e");
}

static void
test_good_image (void)
{
  g_autoptr(GBytes) bytes = make_pattern_image (PATTERN_SIZE);
  g_autoptr(GError) error = NULL;
  g_autoptr(EspyFirmwareImage) image = espy_firmware_image_new_from_bytes (bytes, "firmware.bin", &error);
  g_autoptr(GBytes) tiny = g_bytes_new_static ("\351abc", 4);
  g_autoptr(EspyFirmwareImage) tiny_image = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (image);
  g_assert_cmpint (espy_firmware_image_get_kind (image), ==, ESPY_FIRMWARE_KIND_ESP_APP);
  g_assert_cmpuint (espy_firmware_image_get_size (image), ==, PATTERN_SIZE);
  g_assert_cmpstr (espy_firmware_image_get_name (image), ==, "firmware.bin");
  g_assert_cmpstr (espy_firmware_image_get_md5 (image), ==, PATTERN_MD5);
  g_assert_true (g_bytes_equal (espy_firmware_image_get_bytes (image), bytes));

  /* A single magic byte is enough for an app image; python3: md5(b'\xe9abc'). */
  tiny_image = espy_firmware_image_new_from_bytes (tiny, "tiny.bin", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (espy_firmware_image_get_md5 (tiny_image), ==, "2dfa38003d7c805e1dd95974c643c237");
}

static void
test_empty (void)
{
  g_autoptr(GBytes) bytes = g_bytes_new_static ("", 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(EspyFirmwareImage) image = espy_firmware_image_new_from_bytes (bytes, "empty.bin", &error);

  g_assert_null (image);
  g_assert_error (error, ESPY_FIRMWARE_ERROR, ESPY_FIRMWARE_ERROR_EMPTY);
  g_assert_nonnull (strstr (error->message, "empty.bin"));
}

static void
test_too_large (void)
{
  g_autoptr(GBytes) max = make_filled (ESPY_OTA_MAX_IMAGE_SIZE, 0xE9);
  g_autoptr(GBytes) over = make_filled (ESPY_OTA_MAX_IMAGE_SIZE + 1, 0xE9);
  g_autoptr(GError) error = NULL;
  g_autoptr(EspyFirmwareImage) ok = espy_firmware_image_new_from_bytes (max, "max.bin", &error);
  g_autoptr(EspyFirmwareImage) image = NULL;

  /* Exactly the limit is still allowed. */
  g_assert_no_error (error);
  g_assert_nonnull (ok);

  image = espy_firmware_image_new_from_bytes (over, "huge.bin", &error);
  g_assert_null (image);
  g_assert_error (error, ESPY_FIRMWARE_ERROR, ESPY_FIRMWARE_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "huge.bin"));
}

static GBytes *
make_factory (guint8 first,
              gsize  size)
{
  guint8 *data = g_malloc0 (size);

  if (first == 0xFF)
    {
      /* Classic ESP32: padding, bootloader at 0x1000. */
      memset (data, 0xFF, 0x1000);
      data[0x1000] = 0xE9;
    }
  else
    data[0] = first;
  if (size >= 0x8000 + 32)
    {
      /* First entry as esptool writes it: app, factory, at 0x10000. */
      static const guint8 entry[] = { 0xAA, 0x50, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x10, 0x00 };
      memcpy (data + 0x8000, entry, sizeof entry);
    }
  else if (size >= 0x8002)
    {
      data[0x8000] = 0xAA;
      data[0x8001] = 0x50;
    }
  return g_bytes_new_take (data, size);
}

static void
test_factory (void)
{
  g_autoptr(GBytes) factory = make_factory (0xE9, 0x20000);
  g_autoptr(GBytes) factory_esp32 = make_factory (0xFF, 0x20000);
  /* Too short to hold a partition table entry: an (odd) app image. */
  g_autoptr(GBytes) short_one = make_factory (0xE9, 0x8002);
  g_autoptr(GError) error = NULL;
  g_autoptr(EspyFirmwareImage) image = NULL;
  g_autoptr(EspyFirmwareImage) image2 = NULL;
  g_autoptr(EspyFirmwareImage) image3 = NULL;

  image = espy_firmware_image_new_from_bytes (factory, "firmware.factory.bin", &error);
  g_assert_null (image);
  g_assert_error (error, ESPY_FIRMWARE_ERROR, ESPY_FIRMWARE_ERROR_FACTORY_IMAGE);
  g_assert_nonnull (strstr (error->message, "firmware.factory.bin"));
  g_assert_nonnull (strstr (error->message, "firmware.ota.bin"));
  g_clear_error (&error);

  image2 = espy_firmware_image_new_from_bytes (factory_esp32, "esp32.factory.bin", &error);
  g_assert_null (image2);
  g_assert_error (error, ESPY_FIRMWARE_ERROR, ESPY_FIRMWARE_ERROR_FACTORY_IMAGE);
  g_clear_error (&error);

  image3 = espy_firmware_image_new_from_bytes (short_one, "short.bin", &error);
  g_assert_no_error (error);
  g_assert_cmpint (espy_firmware_image_get_kind (image3), ==, ESPY_FIRMWARE_KIND_ESP_APP);
}

/* An app image whose bytes at 0x8000 happen to be AA 50 but no partition
 * entry follows is still an app image. */
static void
test_factory_magic_by_chance (void)
{
  guint8 *data = g_malloc0 (0x20000);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(EspyFirmwareImage) image = NULL;

  data[0] = 0xE9;
  data[0x8000] = 0xAA;
  data[0x8001] = 0x50;
  data[0x8002] = 0x7F;   /* no such partition type */
  data[0x8004] = 0x34;   /* offset not on a 4 KiB boundary */
  bytes = g_bytes_new_take (data, 0x20000);
  image = espy_firmware_image_new_from_bytes (bytes, "app.bin", &error);
  g_assert_no_error (error);
  g_assert_cmpint (espy_firmware_image_get_kind (image), ==, ESPY_FIRMWARE_KIND_ESP_APP);
}

static void
test_not_firmware (void)
{
  static const char yaml[] = "esphome:\n  name: kitchen\n";
  static const guint8 junk[] = { 0x12, 0x34, 0x56, 0x78, 0x9A };
  static const guint8 elf[] = { 0x7F, 'E', 'L', 'F', 0x01, 0x01, 0x01, 0x00 };
  g_autoptr(GBytes) text = g_bytes_new_static (yaml, sizeof yaml - 1);
  g_autoptr(GBytes) junk_bytes = g_bytes_new_static (junk, sizeof junk);
  g_autoptr(GBytes) elf_bytes = g_bytes_new_static (elf, sizeof elf);
  g_autoptr(GError) error = NULL;
  EspyFirmwareImage *image;

  image = espy_firmware_image_new_from_bytes (text, "kitchen.yaml", &error);
  g_assert_null (image);
  g_assert_error (error, ESPY_FIRMWARE_ERROR, ESPY_FIRMWARE_ERROR_NOT_FIRMWARE);
  g_assert_nonnull (strstr (error->message, "kitchen.yaml"));
  g_assert_nonnull (strstr (error->message, "text"));
  g_assert_nonnull (strstr (error->message, "firmware.bin"));
  g_clear_error (&error);

  image = espy_firmware_image_new_from_bytes (junk_bytes, "junk.bin", &error);
  g_assert_null (image);
  g_assert_error (error, ESPY_FIRMWARE_ERROR, ESPY_FIRMWARE_ERROR_NOT_FIRMWARE);
  /* Says what the first bytes were. */
  g_assert_nonnull (strstr (error->message, "12 34 56 78"));
  g_clear_error (&error);

  image = espy_firmware_image_new_from_bytes (elf_bytes, "firmware.elf", &error);
  g_assert_null (image);
  g_assert_error (error, ESPY_FIRMWARE_ERROR, ESPY_FIRMWARE_ERROR_NOT_FIRMWARE);
  g_assert_nonnull (strstr (error->message, "ELF"));
}

static void
test_gzip (void)
{
  static const guint8 gz[] = { 0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00 };
  g_autoptr(GBytes) bytes = g_bytes_new_static (gz, sizeof gz);
  g_autoptr(GError) error = NULL;
  g_autoptr(EspyFirmwareImage) image = espy_firmware_image_new_from_bytes (bytes, "firmware.bin.gz", &error);
  g_autoptr(GBytes) compressed = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (espy_firmware_image_get_kind (image), ==, ESPY_FIRMWARE_KIND_GZIP);

  /* Already compressed: returned as is, not compressed twice. */
  compressed = espy_firmware_image_compress (image, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (compressed == espy_firmware_image_get_bytes (image));
}

static void
test_uf2 (void)
{
  guint8 block[512] = { 0x55, 0x46, 0x32, 0x0A, 0x57, 0x51, 0x5D, 0x9E };
  guint8 almost[512] = { 0x55, 0x46, 0x32, 0x0A, 0x00, 0x00, 0x00, 0x00 };
  g_autoptr(GBytes) bytes = g_bytes_new (block, sizeof block);
  g_autoptr(GBytes) bad = g_bytes_new (almost, sizeof almost);
  g_autoptr(GError) error = NULL;
  g_autoptr(EspyFirmwareImage) image = espy_firmware_image_new_from_bytes (bytes, "firmware.uf2", &error);
  g_autoptr(EspyFirmwareImage) image2 = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (espy_firmware_image_get_kind (image), ==, ESPY_FIRMWARE_KIND_UF2);

  /* The first magic alone is not enough. */
  image2 = espy_firmware_image_new_from_bytes (bad, "bad.uf2", &error);
  g_assert_null (image2);
  g_assert_error (error, ESPY_FIRMWARE_ERROR, ESPY_FIRMWARE_ERROR_NOT_FIRMWARE);
}

static void
test_files (void)
{
  g_autoptr(GBytes) good = make_pattern_image (PATTERN_SIZE);
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);
  g_autoptr(GBytes) text = g_bytes_new_static ("hello\n", 6);
  g_autoptr(GBytes) factory = make_factory (0xE9, 0x10000);
  static const guint8 gz[] = { 0x1F, 0x8B, 0x08, 0x00 };
  static const guint8 uf2[32] = { 0x55, 0x46, 0x32, 0x0A, 0x57, 0x51, 0x5D, 0x9E };
  g_autoptr(GBytes) gz_bytes = g_bytes_new_static (gz, sizeof gz);
  g_autoptr(GBytes) uf2_bytes = g_bytes_new_static (uf2, sizeof uf2);
  struct {
    const char *name;
    GBytes *bytes;
    int code;  /* -1: loads, kind in `kind` */
    EspyFirmwareKind kind;
  } cases[] = {
    { "firmware.bin", good, -1, ESPY_FIRMWARE_KIND_ESP_APP },
    { "firmware.gz", gz_bytes, -1, ESPY_FIRMWARE_KIND_GZIP },
    { "firmware.uf2", uf2_bytes, -1, ESPY_FIRMWARE_KIND_UF2 },
    { "empty.bin", empty, ESPY_FIRMWARE_ERROR_EMPTY, 0 },
    { "notes.txt", text, ESPY_FIRMWARE_ERROR_NOT_FIRMWARE, 0 },
    { "firmware.factory.bin", factory, ESPY_FIRMWARE_ERROR_FACTORY_IMAGE, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GFile) file = write_temp (cases[i].name, cases[i].bytes);
      g_autoptr(GError) error = NULL;
      g_autoptr(EspyFirmwareImage) image = espy_firmware_image_load (file, NULL, &error);

      if (cases[i].code < 0)
        {
          g_assert_no_error (error);
          g_assert_cmpint (espy_firmware_image_get_kind (image), ==, cases[i].kind);
          g_assert_cmpstr (espy_firmware_image_get_name (image), ==, cases[i].name);
          g_assert_true (g_bytes_equal (espy_firmware_image_get_bytes (image), cases[i].bytes));
        }
      else
        {
          g_assert_null (image);
          g_assert_error (error, ESPY_FIRMWARE_ERROR, cases[i].code);
          /* Names the file by its base name. */
          g_assert_nonnull (strstr (error->message, cases[i].name));
        }
    }
}

static void
test_file_too_large (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "huge.bin", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(EspyFirmwareImage) image = NULL;
  int fd;

  /* A sparse file: large on paper, refused before it is read. */
  fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, "\351", 1), ==, 1);
  g_assert_cmpint (ftruncate (fd, (off_t) ESPY_OTA_MAX_IMAGE_SIZE * 4), ==, 0);
  close (fd);

  image = espy_firmware_image_load (file, NULL, &error);
  g_assert_null (image);
  g_assert_error (error, ESPY_FIRMWARE_ERROR, ESPY_FIRMWARE_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "huge.bin"));
  g_unlink (path);
}

static void
test_missing_file (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "no-such-firmware.bin", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(EspyFirmwareImage) image = espy_firmware_image_load (file, NULL, &error);

  g_assert_null (image);
  g_assert_error (error, ESPY_FIRMWARE_ERROR, ESPY_FIRMWARE_ERROR_READ);
  g_assert_nonnull (strstr (error->message, "no-such-firmware.bin"));
}

static void
on_async_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static void
test_load_async (void)
{
  g_autoptr(GBytes) good = make_pattern_image (PATTERN_SIZE);
  g_autoptr(GFile) file = write_temp ("async.bin", good);
  g_autofree char *missing_path = g_build_filename (tmp_dir, "missing-async.bin", NULL);
  g_autoptr(GFile) missing = g_file_new_for_path (missing_path);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) result2 = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(EspyFirmwareImage) image = NULL;
  g_autoptr(EspyFirmwareImage) image2 = NULL;

  espy_firmware_image_load_async (file, NULL, on_async_done, &result);
  espy_firmware_image_load_async (missing, NULL, on_async_done, &result2);
  while (result == NULL || result2 == NULL)
    g_main_context_iteration (NULL, TRUE);

  image = espy_firmware_image_load_finish (result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (espy_firmware_image_get_md5 (image), ==, PATTERN_MD5);
  g_assert_cmpstr (espy_firmware_image_get_name (image), ==, "async.bin");

  image2 = espy_firmware_image_load_finish (result2, &error);
  g_assert_null (image2);
  g_assert_error (error, ESPY_FIRMWARE_ERROR, ESPY_FIRMWARE_ERROR_READ);
  g_assert_nonnull (strstr (error->message, "missing-async.bin"));
}

static void
test_compress_round_trip (void)
{
  /* Big enough for several COMPRESS_CHUNKs, with a compressible pattern. */
  g_autoptr(GBytes) bytes = make_pattern_image (1024 * 1024 + 123);
  g_autoptr(GError) error = NULL;
  g_autoptr(EspyFirmwareImage) image = espy_firmware_image_new_from_bytes (bytes, "firmware.bin", &error);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GBytes) gz = NULL;
  g_autoptr(GBytes) back = NULL;
  g_autofree char *gz_md5 = NULL;
  g_autofree char *back_md5 = NULL;
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_MD5);
  const guint8 *gz_data;
  gsize gz_len;

  g_assert_no_error (error);
  espy_firmware_image_compress_async (image, NULL, on_async_done, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  gz = espy_firmware_image_compress_finish (image, result, &error);
  g_assert_no_error (error);

  gz_data = g_bytes_get_data (gz, &gz_len);
  g_assert_cmpuint (gz_len, >, 18);
  g_assert_cmpuint (gz_len, <, g_bytes_get_size (bytes));
  /* gzip magic, deflate; XFL 2 = maximum compression (level 9). */
  g_assert_cmpuint (gz_data[0], ==, 0x1F);
  g_assert_cmpuint (gz_data[1], ==, 0x8B);
  g_assert_cmpuint (gz_data[2], ==, 0x08);
  g_assert_cmpuint (gz_data[8], ==, 0x02);

  back = inflate_bytes (gz);
  g_assert_true (g_bytes_equal (back, bytes));
  back_md5 = espy_md5_hex (back);
  g_assert_cmpstr (back_md5, ==, espy_firmware_image_get_md5 (image));

  /* The MD5 the OTA sends for a compressed upload is that of the gzip bytes. */
  g_checksum_update (checksum, gz_data, gz_len);
  gz_md5 = espy_md5_hex (gz);
  g_assert_cmpstr (gz_md5, ==, g_checksum_get_string (checksum));
  g_assert_cmpstr (gz_md5, !=, espy_firmware_image_get_md5 (image));
}

static void
test_compress_cache (void)
{
  g_autoptr(GBytes) bytes = make_pattern_image (300000);
  g_autoptr(GError) error = NULL;
  g_autoptr(EspyFirmwareImage) image = espy_firmware_image_new_from_bytes (bytes, "firmware.bin", &error);
  g_autoptr(GAsyncResult) r1 = NULL;
  g_autoptr(GAsyncResult) r2 = NULL;
  g_autoptr(GAsyncResult) r3 = NULL;
  g_autoptr(GBytes) gz1 = NULL;
  g_autoptr(GBytes) gz2 = NULL;
  g_autoptr(GBytes) gz3 = NULL;
  g_autoptr(GBytes) gz4 = NULL;

  /* Two at once: both get the one result. */
  espy_firmware_image_compress_async (image, NULL, on_async_done, &r1);
  espy_firmware_image_compress_async (image, NULL, on_async_done, &r2);
  while (r1 == NULL || r2 == NULL)
    g_main_context_iteration (NULL, TRUE);
  gz1 = espy_firmware_image_compress_finish (image, r1, &error);
  g_assert_no_error (error);
  gz2 = espy_firmware_image_compress_finish (image, r2, &error);
  g_assert_no_error (error);
  g_assert_true (gz1 == gz2);

  /* Later: the cached bytes themselves, async and blocking. */
  espy_firmware_image_compress_async (image, NULL, on_async_done, &r3);
  while (r3 == NULL)
    g_main_context_iteration (NULL, TRUE);
  gz3 = espy_firmware_image_compress_finish (image, r3, &error);
  g_assert_no_error (error);
  g_assert_true (gz3 == gz1);
  gz4 = espy_firmware_image_compress (image, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (gz4 == gz1);
}

static void
test_compress_cancelled (void)
{
  g_autoptr(GBytes) bytes = make_pattern_image (300000);
  g_autoptr(GError) error = NULL;
  g_autoptr(EspyFirmwareImage) image = espy_firmware_image_new_from_bytes (bytes, "firmware.bin", &error);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GBytes) gz = NULL;

  g_cancellable_cancel (cancellable);
  gz = espy_firmware_image_compress (image, cancellable, &error);
  g_assert_null (gz);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  /* A cancelled attempt leaves nothing half-done in the cache. */
  gz = espy_firmware_image_compress (image, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (gz);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);

  tmp_dir = g_dir_make_tmp ("espy-test-firmware-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/firmware/md5/vector", test_md5_vector);
  g_test_add_func ("/firmware/check/good", test_good_image);
  g_test_add_func ("/firmware/check/empty", test_empty);
  g_test_add_func ("/firmware/check/too-large", test_too_large);
  g_test_add_func ("/firmware/check/factory", test_factory);
  g_test_add_func ("/firmware/check/factory-magic-by-chance", test_factory_magic_by_chance);
  g_test_add_func ("/firmware/check/not-firmware", test_not_firmware);
  g_test_add_func ("/firmware/check/gzip", test_gzip);
  g_test_add_func ("/firmware/check/uf2", test_uf2);
  g_test_add_func ("/firmware/load/files", test_files);
  g_test_add_func ("/firmware/load/too-large", test_file_too_large);
  g_test_add_func ("/firmware/load/missing", test_missing_file);
  g_test_add_func ("/firmware/load/async", test_load_async);
  g_test_add_func ("/firmware/compress/round-trip", test_compress_round_trip);
  g_test_add_func ("/firmware/compress/cache", test_compress_cache);
  g_test_add_func ("/firmware/compress/cancelled", test_compress_cancelled);

  ret = g_test_run ();

  /* Remove what the tests wrote. */
  {
    g_autoptr(GDir) dir = g_dir_open (tmp_dir, 0, NULL);
    const char *entry;

    while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *path = g_build_filename (tmp_dir, entry, NULL);
        g_unlink (path);
      }
  }
  g_rmdir (tmp_dir);
  g_free (tmp_dir);
  return ret;
}
