/* espy-firmware-image.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-firmware-image.h"

#include <string.h>
#include <zlib.h>
#include <glib/gi18n-lib.h>

#include "espy-ota-protocol.h"

#define ESP_APP_MAGIC           0xE9
/* Where a factory image carries its partition table, and the table's magic. */
#define PARTITION_TABLE_OFFSET  0x8000
#define PARTITION_TABLE_MAGIC_0 0xAA
#define PARTITION_TABLE_MAGIC_1 0x50
/* Classic ESP32 factory images start at 0x0 but the bootloader at 0x1000. */
#define ESP32_BOOTLOADER_OFFSET 0x1000
#define UF2_MAGIC_START0        0x0A324655u
#define UF2_MAGIC_START1        0x9E5D5157u
/* Input handed to zlib per call, so cancellation is noticed in time. */
#define COMPRESS_CHUNK          (256 * 1024)

struct _EspyFirmwareImage
{
  GObject           parent_instance;

  char             *name;
  GBytes           *bytes;
  EspyFirmwareKind  kind;
  char             *md5;

  /* lock guards the cache pointer only (held briefly, also on the main
   * thread); compress_lock serialises the slow work so concurrent callers
   * wait for one result instead of compressing twice. */
  GMutex            lock;
  GMutex            compress_lock;
  GBytes           *compressed;
};

G_DEFINE_FINAL_TYPE (EspyFirmwareImage, espy_firmware_image, G_TYPE_OBJECT)

G_DEFINE_QUARK (espy-firmware-error-quark, espy_firmware_error)

static void
espy_firmware_image_finalize (GObject *object)
{
  EspyFirmwareImage *self = ESPY_FIRMWARE_IMAGE (object);

  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->bytes, g_bytes_unref);
  g_clear_pointer (&self->md5, g_free);
  g_clear_pointer (&self->compressed, g_bytes_unref);
  g_mutex_clear (&self->lock);
  g_mutex_clear (&self->compress_lock);

  G_OBJECT_CLASS (espy_firmware_image_parent_class)->finalize (object);
}

static void
espy_firmware_image_class_init (EspyFirmwareImageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = espy_firmware_image_finalize;
}

static void
espy_firmware_image_init (EspyFirmwareImage *self)
{
  g_mutex_init (&self->lock);
  g_mutex_init (&self->compress_lock);
}

char *
espy_md5_hex (GBytes *bytes)
{
  gconstpointer data;
  gsize len;

  g_return_val_if_fail (bytes != NULL, NULL);

  data = g_bytes_get_data (bytes, &len);
  /* GChecksum writes lowercase hex, as the OTA protocol wants. */
  return g_compute_checksum_for_data (G_CHECKSUM_MD5, data, len);
}

static guint32
read_le32 (const guint8 *p)
{
  return (guint32) p[0] | ((guint32) p[1] << 8) | ((guint32) p[2] << 16) | ((guint32) p[3] << 24);
}

static gboolean
has_partition_table (const guint8 *data,
                     gsize         len)
{
  const guint8 *entry = data + PARTITION_TABLE_OFFSET;
  guint32 offset;

  /* Magic alone would match one app image in 65536 by chance: also require
   * a plausible first entry (type app or data, offset on a 4 KiB boundary). */
  if (len < PARTITION_TABLE_OFFSET + 32 ||
      entry[0] != PARTITION_TABLE_MAGIC_0 || entry[1] != PARTITION_TABLE_MAGIC_1)
    return FALSE;
  offset = read_le32 (entry + 4);
  return entry[2] <= 0x01 && offset != 0 && offset % 0x1000 == 0;
}

static gboolean
looks_like_text (const guint8 *data,
                 gsize         len)
{
  gsize n = MIN (len, 512);

  for (gsize i = 0; i < n; i++)
    if (data[i] == 0 || (data[i] < 0x20 && data[i] != '\n' && data[i] != '\r' && data[i] != '\t'))
      return FALSE;
  return TRUE;
}

/* "what it looks like instead" for the NOT_FIRMWARE message. */
static char *
describe_foreign_bytes (const guint8 *data,
                        gsize         len)
{
  g_autoptr(GString) hex = g_string_new (NULL);

  if (len >= 4 && memcmp (data, "\177ELF", 4) == 0)
    return g_strdup (_("it is an ELF file (firmware.elf, the debug build)"));
  if (len >= 4 && memcmp (data, "PK\003\004", 4) == 0)
    return g_strdup (_("it is a ZIP archive; extract the firmware from it first"));
  if (looks_like_text (data, len))
    return g_strdup (_("it is a text file, perhaps a YAML configuration"));

  for (gsize i = 0; i < MIN (len, 4); i++)
    g_string_append_printf (hex, "%s%02X", i > 0 ? " " : "", data[i]);
  return g_strdup_printf (_("it starts with the bytes %s instead of E9 (ESP app), 1F 8B (gzip) or a UF2 header"),
                          hex->str);
}

/* Everything that can be known about a file before a byte of it is sent. */
static gboolean
check_bytes (const guint8      *data,
             gsize              len,
             const char        *name,
             EspyFirmwareKind  *kind,
             GError           **error)
{
  if (len == 0)
    {
      g_set_error (error, ESPY_FIRMWARE_ERROR, ESPY_FIRMWARE_ERROR_EMPTY,
                   _("“%s” is empty. The build may have failed; build the firmware again."), name);
      return FALSE;
    }

  if (len > ESPY_OTA_MAX_IMAGE_SIZE)
    {
      g_autofree char *size = g_format_size (len);
      g_autofree char *max = g_format_size (ESPY_OTA_MAX_IMAGE_SIZE);

      g_set_error (error, ESPY_FIRMWARE_ERROR, ESPY_FIRMWARE_ERROR_TOO_LARGE,
                   _("“%s” is %s, larger than any device's flash (%s). It is not a firmware image."),
                   name, size, max);
      return FALSE;
    }

  /* A factory image starts with the bootloader (at 0x0, or at 0x1000 after
   * 0xFF padding on the classic ESP32) and has the partition table at 0x8000.
   * Devices would take it as an app image and fail to boot it. */
  if (has_partition_table (data, len) &&
      (data[0] == ESP_APP_MAGIC ||
       (data[0] == 0xFF && data[ESP32_BOOTLOADER_OFFSET] == ESP_APP_MAGIC)))
    {
      g_set_error (error, ESPY_FIRMWARE_ERROR, ESPY_FIRMWARE_ERROR_FACTORY_IMAGE,
                   _("“%s” is a factory image for serial flashing (firmware.factory.bin). For a wireless "
                     "update choose firmware.bin or firmware.ota.bin from the same build folder."),
                   name);
      return FALSE;
    }

  if (data[0] == ESP_APP_MAGIC)
    {
      *kind = ESPY_FIRMWARE_KIND_ESP_APP;
      return TRUE;
    }

  if (len >= 2 && data[0] == 0x1F && data[1] == 0x8B)
    {
      *kind = ESPY_FIRMWARE_KIND_GZIP;
      return TRUE;
    }

  if (len >= 8 && read_le32 (data) == UF2_MAGIC_START0 && read_le32 (data + 4) == UF2_MAGIC_START1)
    {
      *kind = ESPY_FIRMWARE_KIND_UF2;
      return TRUE;
    }

  {
    g_autofree char *what = describe_foreign_bytes (data, len);

    g_set_error (error, ESPY_FIRMWARE_ERROR, ESPY_FIRMWARE_ERROR_NOT_FIRMWARE,
                 _("“%s” is not a firmware image: %s. Choose firmware.bin or firmware.ota.bin from the "
                   "build folder (firmware.uf2 on RP2040 and LibreTiny)."),
                 name, what);
  }
  return FALSE;
}

EspyFirmwareImage *
espy_firmware_image_new_from_bytes (GBytes      *bytes,
                                    const char  *name,
                                    GError     **error)
{
  EspyFirmwareImage *self;
  EspyFirmwareKind kind = ESPY_FIRMWARE_KIND_ESP_APP;
  const guint8 *data;
  gsize len;

  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (name == NULL)
    name = "firmware.bin";

  data = g_bytes_get_data (bytes, &len);
  if (!check_bytes (data, len, name, &kind, error))
    return NULL;

  self = g_object_new (ESPY_TYPE_FIRMWARE_IMAGE, NULL);
  self->name = g_strdup (name);
  self->bytes = g_bytes_ref (bytes);
  self->kind = kind;
  self->md5 = espy_md5_hex (bytes);
  return self;
}

EspyFirmwareImage *
espy_firmware_image_load (GFile         *file,
                          GCancellable  *cancellable,
                          GError       **error)
{
  g_autofree char *name = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize len = 0;

  g_return_val_if_fail (G_IS_FILE (file), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  name = g_file_get_basename (file);
  if (name == NULL)
    name = g_file_get_parse_name (file);

  /* Refuse a huge file without reading it all into memory first. */
  info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_SIZE "," G_FILE_ATTRIBUTE_STANDARD_TYPE,
                            G_FILE_QUERY_INFO_NONE, cancellable, NULL);
  if (info != NULL &&
      g_file_info_get_file_type (info) == G_FILE_TYPE_REGULAR &&
      g_file_info_get_size (info) > (goffset) ESPY_OTA_MAX_IMAGE_SIZE)
    {
      g_autofree char *size = g_format_size (g_file_info_get_size (info));
      g_autofree char *max = g_format_size (ESPY_OTA_MAX_IMAGE_SIZE);

      g_set_error (error, ESPY_FIRMWARE_ERROR, ESPY_FIRMWARE_ERROR_TOO_LARGE,
                   _("“%s” is %s, larger than any device's flash (%s). It is not a firmware image."),
                   name, size, max);
      return NULL;
    }

  if (!g_file_load_contents (file, cancellable, &contents, &len, NULL, &local_error))
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      g_set_error (error, ESPY_FIRMWARE_ERROR, ESPY_FIRMWARE_ERROR_READ,
                   _("Could not read “%s”: %s"), name, local_error->message);
      return NULL;
    }

  bytes = g_bytes_new_take (g_steal_pointer (&contents), len);
  return espy_firmware_image_new_from_bytes (bytes, name, error);
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GError *error = NULL;
  EspyFirmwareImage *image = espy_firmware_image_load (G_FILE (task_data), cancellable, &error);

  if (image == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, image, g_object_unref);
}

void
espy_firmware_image_load_async (GFile               *file,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (G_IS_FILE (file));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, espy_firmware_image_load_async);
  g_task_set_task_data (task, g_object_ref (file), g_object_unref);
  g_task_run_in_thread (task, load_thread);
}

EspyFirmwareImage *
espy_firmware_image_load_finish (GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == espy_firmware_image_load_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

const char *
espy_firmware_image_get_name (EspyFirmwareImage *self)
{
  g_return_val_if_fail (ESPY_IS_FIRMWARE_IMAGE (self), NULL);
  return self->name;
}

EspyFirmwareKind
espy_firmware_image_get_kind (EspyFirmwareImage *self)
{
  g_return_val_if_fail (ESPY_IS_FIRMWARE_IMAGE (self), ESPY_FIRMWARE_KIND_ESP_APP);
  return self->kind;
}

GBytes *
espy_firmware_image_get_bytes (EspyFirmwareImage *self)
{
  g_return_val_if_fail (ESPY_IS_FIRMWARE_IMAGE (self), NULL);
  return self->bytes;
}

gsize
espy_firmware_image_get_size (EspyFirmwareImage *self)
{
  g_return_val_if_fail (ESPY_IS_FIRMWARE_IMAGE (self), 0);
  return g_bytes_get_size (self->bytes);
}

const char *
espy_firmware_image_get_md5 (EspyFirmwareImage *self)
{
  g_return_val_if_fail (ESPY_IS_FIRMWARE_IMAGE (self), NULL);
  return self->md5;
}

/* A new reference to the cached result, or NULL. */
static GBytes *
get_cached (EspyFirmwareImage *self)
{
  GBytes *ret = NULL;

  /* An image that already is gzip is its own compressed form. */
  if (self->kind == ESPY_FIRMWARE_KIND_GZIP)
    return g_bytes_ref (self->bytes);

  g_mutex_lock (&self->lock);
  if (self->compressed != NULL)
    ret = g_bytes_ref (self->compressed);
  g_mutex_unlock (&self->lock);
  return ret;
}

static GBytes *
gzip_bytes (GBytes        *input,
            GCancellable  *cancellable,
            GError       **error)
{
  z_stream zs;
  const guint8 *data;
  gsize len;
  gsize off = 0;
  gsize cap;
  guint8 *out;
  int ret;

  data = g_bytes_get_data (input, &len);
  memset (&zs, 0, sizeof zs);

  /* windowBits 15 + 16: a gzip wrapper, which the ESP8266 bootloader inflates. */
  ret = deflateInit2 (&zs, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
  if (ret != Z_OK)
    {
      g_set_error (error, ESPY_FIRMWARE_ERROR, ESPY_FIRMWARE_ERROR_COMPRESS,
                   _("Could not compress the firmware: %s"), zs.msg != NULL ? zs.msg : zError (ret));
      return NULL;
    }

  cap = deflateBound (&zs, len);
  out = g_malloc (cap);
  zs.next_out = out;
  zs.avail_out = cap;

  do
    {
      gsize chunk = MIN (len - off, COMPRESS_CHUNK);
      gboolean last = off + chunk == len;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          deflateEnd (&zs);
          g_free (out);
          return NULL;
        }

      zs.next_in = (Bytef *) data + off;
      zs.avail_in = chunk;
      off += chunk;

      do
        {
          if (zs.avail_out == 0)
            {
              /* deflateBound should make this unreachable; grow anyway. */
              gsize used = zs.total_out;

              cap *= 2;
              out = g_realloc (out, cap);
              zs.next_out = out + used;
              zs.avail_out = cap - used;
            }
          ret = deflate (&zs, last ? Z_FINISH : Z_NO_FLUSH);
        }
      while ((ret == Z_OK || ret == Z_BUF_ERROR) && (zs.avail_in > 0 || last));

      if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR)
        {
          g_set_error (error, ESPY_FIRMWARE_ERROR, ESPY_FIRMWARE_ERROR_COMPRESS,
                       _("Could not compress the firmware: %s"), zs.msg != NULL ? zs.msg : zError (ret));
          deflateEnd (&zs);
          g_free (out);
          return NULL;
        }
    }
  while (ret != Z_STREAM_END);

  len = zs.total_out;
  deflateEnd (&zs);
  return g_bytes_new_take (g_realloc (out, len), len);
}

GBytes *
espy_firmware_image_compress (EspyFirmwareImage  *self,
                              GCancellable       *cancellable,
                              GError            **error)
{
  g_autoptr(GBytes) result = NULL;

  g_return_val_if_fail (ESPY_IS_FIRMWARE_IMAGE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if ((result = get_cached (self)) != NULL)
    return g_steal_pointer (&result);

  g_mutex_lock (&self->compress_lock);

  /* Another caller may have finished while we waited for the lock. */
  if ((result = get_cached (self)) == NULL)
    {
      result = gzip_bytes (self->bytes, cancellable, error);
      if (result != NULL)
        {
          g_mutex_lock (&self->lock);
          self->compressed = g_bytes_ref (result);
          g_mutex_unlock (&self->lock);
        }
    }

  g_mutex_unlock (&self->compress_lock);
  return g_steal_pointer (&result);
}

static void
compress_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  GError *error = NULL;
  GBytes *result = espy_firmware_image_compress (ESPY_FIRMWARE_IMAGE (source_object), cancellable, &error);

  if (result == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, (GDestroyNotify) g_bytes_unref);
}

void
espy_firmware_image_compress_async (EspyFirmwareImage   *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GBytes *cached;

  g_return_if_fail (ESPY_IS_FIRMWARE_IMAGE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, espy_firmware_image_compress_async);

  /* Cached (or already gzip): no thread needed. */
  cached = get_cached (self);
  if (cached != NULL)
    {
      g_task_return_pointer (task, cached, (GDestroyNotify) g_bytes_unref);
      return;
    }

  g_task_run_in_thread (task, compress_thread);
}

GBytes *
espy_firmware_image_compress_finish (EspyFirmwareImage  *self,
                                     GAsyncResult       *result,
                                     GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == espy_firmware_image_compress_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
