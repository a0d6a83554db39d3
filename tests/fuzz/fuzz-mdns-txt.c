/* fuzz-mdns-txt.c: libFuzzer target for mDNS TXT record decoding
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-mdns-record.h"
#include "fuzz-common.h"

/* The input is a TXT record in DNS wire format: a length byte, then that
 * many bytes, repeated. Each string goes through espy_mdns_txt_decode the
 * way Avahi hands them over, and the result into a record. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GPtrArray) strings = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GHashTable) table = NULL;
  g_autoptr(EspyMdnsRecord) record = NULL;
  g_autoptr(EspyMdnsRecord) copy = NULL;
  gsize off = 0;

  fuzz_init_logging ();
  while (off < size)
    {
      gsize len = MIN ((gsize) data[off], size - off - 1);

      g_ptr_array_add (strings, g_bytes_new (data + off + 1, len));
      off += 1 + len;
    }

  table = espy_mdns_txt_decode (strings);
  g_assert (table != NULL);

  record = espy_mdns_record_new ("fuzz");
  espy_mdns_record_set_txt_table (record, table);
  for (guint k = 0; k < ESPY_MDNS_TXT_N_KEYS; k++)
    {
      const char *value = espy_mdns_record_get_txt (record, k);

      if (value != NULL)
        g_assert (g_utf8_validate (value, -1, NULL));
    }

  /* MAC addresses come from TXT and are normalised for matching. */
  if (espy_mdns_record_get_mac (record) != NULL)
    g_free (espy_mdns_normalize_mac (espy_mdns_record_get_mac (record)));
  {
    g_autofree char *raw = g_strndup ((const char *) data, size);

    g_free (espy_mdns_normalize_mac (raw));
  }

  copy = espy_mdns_record_copy (record);
  g_assert (espy_mdns_record_equal (record, copy));
  g_free (espy_mdns_record_dup_base_name (record));
  return 0;
}
