/* test-yaml-editor.c: byte-exact in-place edits of YAML files: quoting that
 * reads back for any characters, replacing / inserting / removing the OTA
 * password in every layout, secrets.yaml, atomic commit and byte-exact
 * rollback.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "espy-device-config.h"
#include "espy-yaml.h"
#include "espy-yaml-editor.h"

static const char *tricky[] = {
  "simple", "new-pass_2.0", "with space", "it's", "say \"hi\"", "a: b", "a:b", "#hash", "x #y",
  " leading", "trailing ", "back\\slash", "\\n", "ünïcödé ☃", "🔑🔑", "tab\there", "new\nline",
  "cr\rlf", "", "true", "Yes", "on", "y", "123", "0x1F", "1e3", "1_000", "1:20", ".inf", "null", "~",
  "- dash", "-", "?", "@at", "%pct", "&amp", "*star", "!bang", "|pipe", ">gt", "[x]", "{y}", "a,b",
  "`tick", "'", "\"", "del\x7f", "nel\xc2\x85", "ls\xe2\x80\xa8", "bom\xef\xbb\xbf", "bell\x07",
  "--- ", "...", "a'b\"c\\d:e #f", "€uro", "   ",
};

static char *
make_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("espy-yaml-editor-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static char *
write_file (const char *dir,
            const char *name,
            const char *text)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (dir, name, NULL);
  g_autofree char *parent = g_path_get_dirname (path);

  g_mkdir_with_parents (parent, 0755);
  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  return path;
}

static char *
read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

static void
rm_rf (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    {
      g_unlink (path);
      return;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        rm_rf (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

/* The edited bytes of PATH as a string. */
static char *
edited_text (EspyYamlEditor *editor,
             const char     *path)
{
  GBytes *bytes = espy_yaml_editor_get_edited (editor, path);

  g_assert_nonnull (bytes);
  return g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

/* --- quoting ------------------------------------------------------------------ */

static void
test_quote_reads_back (void)
{
  EspyYamlStyle styles[] = { ESPY_YAML_STYLE_PLAIN, ESPY_YAML_STYLE_SINGLE, ESPY_YAML_STYLE_DOUBLE };

  for (guint i = 0; i < G_N_ELEMENTS (tricky); i++)
    for (guint s = 0; s < G_N_ELEMENTS (styles); s++)
      {
        g_autofree char *quoted = espy_yaml_quote_scalar (tricky[i], styles[s]);
        g_autofree char *doc = g_strdup_printf ("k: %s\nflow: {a: %s, b: 1}\nlist: [%s, 2]\n", quoted, quoted, quoted);
        g_autoptr(GError) error = NULL;
        g_autoptr(EspyYamlNode) root = espy_yaml_load_data (doc, strlen (doc), "t.yaml", &error);
        EspyYamlNode *value;

        g_assert_no_error (error);
        value = espy_yaml_mapping_lookup (root, "k");
        g_assert_nonnull (value);
        /* An empty plain scalar would be null: the quoter must not do that. */
        g_assert_cmpint (value->kind, ==, ESPY_YAML_SCALAR);
        g_assert_cmpstr (value->value, ==, tricky[i]);
        g_assert_cmpstr (espy_yaml_mapping_lookup (espy_yaml_mapping_lookup (root, "flow"), "a")->value, ==, tricky[i]);
        g_assert_cmpstr (((EspyYamlNode *) g_ptr_array_index (espy_yaml_mapping_lookup (root, "list")->items, 0))->value,
                         ==, tricky[i]);
        /* Plain only for unambiguous words: never a number or a boolean. */
        if (styles[s] == ESPY_YAML_STYLE_PLAIN && quoted[0] != '"')
          g_assert_true (value->plain);
      }
}

static void
test_quote_styles (void)
{
  struct { const char *value; EspyYamlStyle style; const char *expected; } cases[] = {
    { "newpass", ESPY_YAML_STYLE_PLAIN, "newpass" },
    { "a: b", ESPY_YAML_STYLE_PLAIN, "\"a: b\"" },
    { "123", ESPY_YAML_STYLE_PLAIN, "\"123\"" },
    { "true", ESPY_YAML_STYLE_PLAIN, "\"true\"" },
    { "it's", ESPY_YAML_STYLE_SINGLE, "'it''s'" },
    { "tab\tx", ESPY_YAML_STYLE_SINGLE, "\"tab\\tx\"" },
    { "say \"hi\" \\", ESPY_YAML_STYLE_DOUBLE, "\"say \\\"hi\\\" \\\\\"" },
    { "ünï", ESPY_YAML_STYLE_DOUBLE, "\"ünï\"" },
    { "\x01", ESPY_YAML_STYLE_DOUBLE, "\"\\x01\"" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *quoted = espy_yaml_quote_scalar (cases[i].value, cases[i].style);

      g_assert_cmpstr (quoted, ==, cases[i].expected);
    }
  g_assert_null (espy_yaml_quote_scalar ("\xff\xfe", ESPY_YAML_STYLE_DOUBLE));
}

/* --- replacing a scalar ------------------------------------------------------- */

static void
test_set_scalar_every_value (void)
{
  const char *layouts[] = {
    "# Kitchen\nesphome:\n  name: kitchen\nota:\n  - platform: esphome   # native\n    password: OLD  # keep me\n    port: 3232\n",
    "ota:\n  - platform: esphome\n    password: 'OLD'\n  - platform: web_server\n",
    "ota:\n  - platform: esphome\n    password: \"OLD\"\n",
    "ota:\r\n  password: OLD\r\n  port: 8266\r\n",
    "ota: [{platform: esphome, password: OLD}]\n",
    "ota:\n  - platform: esphome\n    password: |\n      OLD\nwifi:\n  ssid: x\n",
    "ota:\n- platform: esphome\n  password: OLD",
  };
  g_autofree char *dir = make_dir ();

  for (guint l = 0; l < G_N_ELEMENTS (layouts); l++)
    for (guint i = 0; i < G_N_ELEMENTS (tricky); i++)
      {
        g_autofree char *path = write_file (dir, "dev.yaml", layouts[l]);
        g_autoptr(EspyYamlEditor) editor = espy_yaml_editor_new ();
        g_autoptr(GError) error = NULL;
        g_autoptr(EspyYamlNode) before = NULL;
        g_autoptr(EspyYamlNode) after = NULL;
        g_autofree char *text = NULL;
        const char *old_at = strstr (layouts[l], "OLD");
        const char *quote_start = old_at;
        const char *quote_end = old_at + 3;
        EspyYamlNode *ota;
        EspyYamlNode *entry;
        guint line = 1;
        guint column = 1;

        /* Where the value node starts (its opening quote / indicator). */
        if (quote_start[-1] == '\'' || quote_start[-1] == '"')
          {
            quote_start--;
            quote_end++;
          }
        if (l == 5)
          {
            quote_start = strstr (layouts[l], "|");
            quote_end = old_at + 4;
          }
        for (const char *p = layouts[l]; p < quote_start; p++)
          if (*p == '\n')
            {
              line++;
              column = 1;
            }
          else if (*p != '\r')
            column++;

        espy_yaml_editor_set_scalar (editor, path, line, column, NULL, tricky[i], &error);
        g_assert_no_error (error);
        text = edited_text (editor, path);
        /* Every byte before and after the value is the original's. */
        g_assert_true (strncmp (text, layouts[l], (gsize) (quote_start - layouts[l])) == 0);
        g_assert_true (g_str_has_suffix (text, quote_end));
        /* And the value reads back exactly. */
        after = espy_yaml_load_data (text, strlen (text), "dev.yaml", &error);
        g_assert_no_error (error);
        ota = espy_yaml_mapping_lookup (after, "ota");
        entry = ota->kind == ESPY_YAML_SEQUENCE ? g_ptr_array_index (ota->items, 0) : ota;
        g_assert_cmpstr (espy_yaml_mapping_lookup (entry, "password")->value, ==, tricky[i]);
        /* Nothing else moved: every other key reads the same. */
        before = espy_yaml_load_data (layouts[l], strlen (layouts[l]), "dev.yaml", &error);
        g_assert_no_error (error);
        g_assert_cmpuint (espy_yaml_node_count (before), ==, espy_yaml_node_count (after));
        /* The file itself is untouched until commit. */
        {
          g_autofree char *disk = read_file (path);

          g_assert_cmpstr (disk, ==, layouts[l]);
        }
      }
  rm_rf (dir);
}

static void
test_set_scalar_keeps_style (void)
{
  g_autofree char *dir = make_dir ();
  g_autofree char *path = write_file (dir, "s.yaml", "a: old\nb: 'old'\nc: \"old\"\n");
  struct { guint line; guint column; const char *value; const char *expected; } cases[] = {
    { 1, 4, "new-one", "a: new-one\nb: 'old'\nc: \"old\"\n" },
    { 2, 4, "it's", "a: old\nb: 'it''s'\nc: \"old\"\n" },
    { 3, 4, "x", "a: old\nb: 'old'\nc: \"x\"\n" },
    { 1, 4, "has: colon", "a: \"has: colon\"\nb: 'old'\nc: \"old\"\n" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(EspyYamlEditor) editor = espy_yaml_editor_new ();
      g_autoptr(GError) error = NULL;
      g_autofree char *text = NULL;

      espy_yaml_editor_set_scalar (editor, path, cases[i].line, cases[i].column, NULL, cases[i].value, &error);
      g_assert_no_error (error);
      text = edited_text (editor, path);
      g_assert_cmpstr (text, ==, cases[i].expected);
    }
  rm_rf (dir);
}

static void
test_set_scalar_refusals (void)
{
  g_autofree char *dir = make_dir ();
  g_autofree char *path = write_file (dir, "s.yaml", "a: !env_var X\nb: [1, 2]\nc: old\n");
  g_autoptr(EspyYamlEditor) editor = espy_yaml_editor_new ();
  g_autoptr(GError) error = NULL;

  g_assert_false (espy_yaml_editor_set_scalar (editor, path, 1, 4, NULL, "x", &error));
  g_assert_error (error, ESPY_YAML_EDIT_ERROR, ESPY_YAML_EDIT_ERROR_NOT_EDITABLE);
  g_clear_error (&error);
  g_assert_false (espy_yaml_editor_set_scalar (editor, path, 2, 4, NULL, "x", &error));
  g_assert_error (error, ESPY_YAML_EDIT_ERROR, ESPY_YAML_EDIT_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (espy_yaml_editor_set_scalar (editor, path, 9, 1, NULL, "x", &error));
  g_assert_error (error, ESPY_YAML_EDIT_ERROR, ESPY_YAML_EDIT_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (espy_yaml_editor_set_scalar (editor, path, 3, 4, NULL, "\xff", &error));
  g_assert_error (error, ESPY_YAML_EDIT_ERROR, ESPY_YAML_EDIT_ERROR_NOT_EDITABLE);
  g_clear_error (&error);
  g_assert_true (espy_yaml_editor_set_scalar (editor, path, 3, 4, NULL, "x", &error));
  g_assert_false (espy_yaml_editor_set_scalar (editor, path, 3, 4, NULL, "y", &error));
  g_assert_error (error, ESPY_YAML_EDIT_ERROR, ESPY_YAML_EDIT_ERROR_BUSY);
  rm_rf (dir);
}

static void
test_set_secret_reference (void)
{
  g_autofree char *dir = make_dir ();
  g_autofree char *path = write_file (dir, "d.yaml", "ota:\n  - platform: esphome\n    password: !secret ota_pw # shared\n");
  g_autoptr(EspyYamlEditor) editor = espy_yaml_editor_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  espy_yaml_editor_set_scalar (editor, path, 3, 15, "!secret", "ota_pw_kitchen", &error);
  g_assert_no_error (error);
  text = edited_text (editor, path);
  g_assert_cmpstr (text, ==, "ota:\n  - platform: esphome\n    password: !secret ota_pw_kitchen # shared\n");
  rm_rf (dir);
}

/* --- removing ------------------------------------------------------------------ */

static void
test_remove (void)
{
  struct { const char *before; guint line; guint column; const char *after; } cases[] = {
    { "ota:\n  - platform: esphome\n    password: old # the pw\n    port: 1\n", 3, 15,
      "ota:\n  - platform: esphome\n    port: 1\n" },
    { "ota:\n  - password: \"old\"\n    platform: esphome\n", 2, 15,
      "ota:\n  - platform: esphome\n" },
    { "ota:\r\n  password: old\r\n", 2, 13, "ota:\r\n" },
    { "ota:\n  - {platform: esphome, password: old}\n", 2, 35, "ota:\n  - {platform: esphome}\n" },
    { "ota:\n  - {password: old, platform: esphome}\n", 2, 16, "ota:\n  - {platform: esphome}\n" },
    { "ota:\n  - platform: esphome\n    password: |\n      old\n    port: 2\n", 3, 15,
      "ota:\n  - platform: esphome\n    port: 2\n" },
    { "ota:\n  - platform: esphome\n    password: old", 3, 15, "ota:\n  - platform: esphome\n" },
  };
  g_autofree char *dir = make_dir ();

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = write_file (dir, "r.yaml", cases[i].before);
      g_autoptr(EspyYamlEditor) editor = espy_yaml_editor_new ();
      g_autoptr(GError) error = NULL;
      g_autofree char *text = NULL;

      espy_yaml_editor_remove_pair (editor, path, cases[i].line, cases[i].column, &error);
      g_assert_no_error (error);
      text = edited_text (editor, path);
      g_assert_cmpstr (text, ==, cases[i].after);
    }
  rm_rf (dir);
}

/* --- inserting ----------------------------------------------------------------- */

static void
test_insert (void)
{
  struct { const char *before; const char *after; } cases[] = {
    { "esphome:\n  name: k\n\nota:\n  - platform: esphome # native\n    port: 3232\n  - platform: web_server\n",
      "esphome:\n  name: k\n\nota:\n  - platform: esphome # native\n    password: \"s3cr:t\"\n    port: 3232\n  - platform: web_server\n" },
    { "ota:\n- platform: web_server\n- id: x\n  platform: esphome\n",
      "ota:\n- platform: web_server\n- id: x\n  platform: esphome\n  password: \"s3cr:t\"\n" },
    { "ota:\r\n    port: 8266\r\n", "ota:\r\n    password: \"s3cr:t\"\r\n    port: 8266\r\n" },
    { "ota:\nwifi: {}\n", "ota:\n  password: \"s3cr:t\"\nwifi: {}\n" },
    { "ota:\n  - platform: esphome", "ota:\n  - platform: esphome\n    password: \"s3cr:t\"" },
    { "ota:\n  - {platform: esphome }\n", "ota:\n  - {platform: esphome, password: \"s3cr:t\" }\n" },
  };
  g_autofree char *dir = make_dir ();

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = write_file (dir, "i.yaml", cases[i].before);
      g_autoptr(EspyYamlEditor) editor = espy_yaml_editor_new ();
      g_autoptr(GError) error = NULL;
      g_autofree char *text = NULL;
      g_autofree char *edited = NULL;
      const char *paths[] = { path, NULL };

      espy_yaml_editor_insert_ota_password (editor, paths, "s3cr:t", &edited, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (edited, ==, path);
      text = edited_text (editor, path);
      g_assert_cmpstr (text, ==, cases[i].after);
    }
  rm_rf (dir);
}

static void
test_insert_included (void)
{
  g_autofree char *dir = make_dir ();
  g_autofree char *dev = write_file (dir, "d.yaml", "esphome:\n  name: d\nota: !include common/ota.yaml\n");
  g_autofree char *inc = write_file (dir, "common/ota.yaml", "- platform: esphome\n  port: 1\n");
  g_autofree char *pkg_dev = write_file (dir, "p.yaml", "packages:\n  base: !include common/base.yaml\nota:\n  - platform: web_server\n");
  g_autofree char *base = write_file (dir, "common/base.yaml", "ota:\n  - platform: esphome\n");
  g_autofree char *none = write_file (dir, "n.yaml", "ota:\n  - platform: web_server\n");

  {
    g_autoptr(EspyYamlEditor) editor = espy_yaml_editor_new ();
    g_autoptr(GError) error = NULL;
    g_autofree char *edited = NULL;
    g_autofree char *text = NULL;
    const char *paths[] = { dev, NULL };

    espy_yaml_editor_insert_ota_password (editor, paths, "pw", &edited, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (edited, ==, inc);
    text = edited_text (editor, edited);
    g_assert_cmpstr (text, ==, "- platform: esphome\n  password: \"pw\"\n  port: 1\n");
    g_assert_null (espy_yaml_editor_get_edited (editor, dev));
  }
  {
    g_autoptr(EspyYamlEditor) editor = espy_yaml_editor_new ();
    g_autoptr(GError) error = NULL;
    g_autofree char *edited = NULL;
    g_autofree char *text = NULL;
    const char *paths[] = { pkg_dev, base, NULL };

    espy_yaml_editor_insert_ota_password (editor, paths, "pw", &edited, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (edited, ==, base);
    text = edited_text (editor, base);
    g_assert_cmpstr (text, ==, "ota:\n  - platform: esphome\n    password: \"pw\"\n");
  }
  {
    g_autoptr(EspyYamlEditor) editor = espy_yaml_editor_new ();
    g_autoptr(GError) error = NULL;
    const char *paths[] = { none, NULL };

    g_assert_false (espy_yaml_editor_insert_ota_password (editor, paths, "pw", NULL, &error));
    g_assert_error (error, ESPY_YAML_EDIT_ERROR, ESPY_YAML_EDIT_ERROR_NOT_FOUND);
  }
  rm_rf (dir);
}

/* --- secrets.yaml -------------------------------------------------------------- */

static void
test_add_secret (void)
{
  g_autofree char *dir = make_dir ();
  g_autofree char *secrets = write_file (dir, "secrets.yaml", "# secrets\nwifi_ssid: home\nota_pw: \"x\"");
  g_autofree char *missing = g_build_filename (dir, "sub", "secrets.yaml", NULL);
  g_autoptr(EspyYamlEditor) editor = espy_yaml_editor_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  g_assert_true (espy_yaml_editor_has_secret (secrets, "ota_pw", NULL));
  g_assert_false (espy_yaml_editor_has_secret (secrets, "nope", NULL));
  g_assert_false (espy_yaml_editor_add_secret (editor, secrets, "ota_pw", "y", &error));
  g_assert_error (error, ESPY_YAML_EDIT_ERROR, ESPY_YAML_EDIT_ERROR_EXISTS);
  g_clear_error (&error);
  espy_yaml_editor_add_secret (editor, secrets, "ota_pw_kitchen", "it's \"new\"", &error);
  g_assert_no_error (error);
  text = edited_text (editor, secrets);
  g_assert_cmpstr (text, ==, "# secrets\nwifi_ssid: home\nota_pw: \"x\"\nota_pw_kitchen: \"it's \\\"new\\\"\"\n");

  {
    g_autofree char *sub = g_path_get_dirname (missing);

    g_mkdir_with_parents (sub, 0755);
  }
  espy_yaml_editor_add_secret (editor, missing, "a", "b", &error);
  g_assert_no_error (error);
  g_free (text);
  text = edited_text (editor, missing);
  g_assert_cmpstr (text, ==, "a: \"b\"\n");
  espy_yaml_editor_commit (editor, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_test (missing, G_FILE_TEST_EXISTS));
  espy_yaml_editor_rollback (editor, &error);
  g_assert_no_error (error);
  g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
  g_free (text);
  text = read_file (secrets);
  g_assert_cmpstr (text, ==, "# secrets\nwifi_ssid: home\nota_pw: \"x\"");
  rm_rf (dir);
}

/* --- commit, rollback, diff ----------------------------------------------------- */

static void
test_commit_rollback (void)
{
  const char *original = "ota:\n  - platform: esphome\n    password: oldpass\n";
  g_autofree char *dir = make_dir ();
  g_autofree char *path = write_file (dir, "dev.yaml", original);
  g_autofree char *link = g_build_filename (dir, "secrets.yaml", NULL);
  g_autofree char *target = write_file (dir, "shared/secrets.yaml", "pw: oldsecret\n");
  g_autofree char *backup = g_build_filename (dir, ".dev.yaml.espy-backup", NULL);
  g_autoptr(EspyYamlEditor) editor = espy_yaml_editor_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *diff = NULL;
  struct stat st;

  g_assert_cmpint (symlink ("shared/secrets.yaml", link), ==, 0);
  g_chmod (path, 0640);
  espy_yaml_editor_set_scalar (editor, path, 3, 15, NULL, "newpass", &error);
  g_assert_no_error (error);
  espy_yaml_editor_set_scalar (editor, link, 1, 5, NULL, "newsecret", &error);
  g_assert_no_error (error);

  diff = espy_yaml_editor_diff (editor, dir, TRUE);
  g_assert_null (strstr (diff, "oldpass"));
  g_assert_null (strstr (diff, "newpass"));
  g_assert_null (strstr (diff, "newsecret"));
  g_assert_nonnull (strstr (diff, "--- a/dev.yaml\n+++ dev.yaml\n@@ -1,3 +1,3 @@\n ota:\n   - platform: esphome\n-    password: ********\n+    password: ********\n"));
  g_free (diff);
  diff = espy_yaml_editor_diff (editor, dir, FALSE);
  g_assert_nonnull (strstr (diff, "-    password: oldpass\n+    password: newpass\n"));
  g_assert_nonnull (strstr (diff, "-pw: oldsecret\n+pw: newsecret\n"));

  espy_yaml_editor_commit (editor, &error);
  g_assert_no_error (error);
  text = read_file (path);
  g_assert_cmpstr (text, ==, "ota:\n  - platform: esphome\n    password: newpass\n");
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0640);
  g_assert_true (g_file_test (backup, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (link, G_FILE_TEST_IS_SYMLINK));
  g_free (text);
  text = read_file (target);
  g_assert_cmpstr (text, ==, "pw: newsecret\n");

  espy_yaml_editor_rollback (editor, &error);
  g_assert_no_error (error);
  g_free (text);
  text = read_file (path);
  g_assert_cmpstr (text, ==, original);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0640);
  g_assert_false (g_file_test (backup, G_FILE_TEST_EXISTS));
  g_free (text);
  text = read_file (target);
  g_assert_cmpstr (text, ==, "pw: oldsecret\n");
  g_assert_true (g_file_test (link, G_FILE_TEST_IS_SYMLINK));
  rm_rf (dir);
}

static void
test_finish_and_changed_on_disk (void)
{
  g_autofree char *dir = make_dir ();
  g_autofree char *path = write_file (dir, "dev.yaml", "ota:\n  password: a\n");
  g_autofree char *backup = g_build_filename (dir, ".dev.yaml.espy-backup", NULL);
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(EspyYamlEditor) editor = espy_yaml_editor_new ();
    g_autofree char *text = NULL;

    espy_yaml_editor_set_scalar (editor, path, 2, 13, NULL, "b", &error);
    g_assert_no_error (error);
    espy_yaml_editor_commit (editor, &error);
    g_assert_no_error (error);
    espy_yaml_editor_finish (editor);
    g_assert_false (g_file_test (backup, G_FILE_TEST_EXISTS));
    text = read_file (path);
    g_assert_cmpstr (text, ==, "ota:\n  password: b\n");
  }
  {
    g_autoptr(EspyYamlEditor) editor = espy_yaml_editor_new ();
    g_autofree char *text = NULL;

    espy_yaml_editor_set_scalar (editor, path, 2, 13, NULL, "c", &error);
    g_assert_no_error (error);
    g_free (write_file (dir, "dev.yaml", "ota:\n  password: someone-else\n"));
    g_assert_false (espy_yaml_editor_commit (editor, &error));
    g_assert_error (error, ESPY_YAML_EDIT_ERROR, ESPY_YAML_EDIT_ERROR_CHANGED_ON_DISK);
    text = read_file (path);
    g_assert_cmpstr (text, ==, "ota:\n  password: someone-else\n");
  }
  rm_rf (dir);
}

/* The config reader's locations lead the editor to the right bytes. */
static void
test_reader_locations (void)
{
  g_autofree char *dir = make_dir ();
  g_autofree char *dev = write_file (dir, "kitchen.yaml",
                                     "esphome:\n  name: kitchen\nesp32:\n  board: esp32dev\n"
                                     "ota:\n  - platform: esphome\n    password: !secret ota_pw\n");
  g_autofree char *secrets = write_file (dir, "secrets.yaml", "# a comment\nota_pw:   'old one'   # x\n");
  g_autoptr(GFile) file = g_file_new_for_path (dev);
  g_autoptr(GError) error = NULL;
  g_autoptr(EspyDeviceConfig) config = espy_device_config_new_for_file (file, NULL, &error);
  g_autoptr(EspyYamlEditor) editor = espy_yaml_editor_new ();
  const EspyConfigOta *ota;
  g_autofree char *text = NULL;

  g_assert_no_error (error);
  ota = espy_device_config_find_ota (config, "esphome");
  g_assert_cmpstr (ota->password_location->secret_name, ==, "ota_pw");
  espy_yaml_editor_set_scalar (editor, ota->password_location->secret_path, ota->password_location->secret_line,
                               ota->password_location->secret_column, NULL, "new 'one'", &error);
  g_assert_no_error (error);
  text = edited_text (editor, secrets);
  g_assert_cmpstr (text, ==, "# a comment\nota_pw:   'new ''one'''   # x\n");
  rm_rf (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/yaml-editor/quote/reads-back", test_quote_reads_back);
  g_test_add_func ("/yaml-editor/quote/styles", test_quote_styles);
  g_test_add_func ("/yaml-editor/set/every-value", test_set_scalar_every_value);
  g_test_add_func ("/yaml-editor/set/keeps-style", test_set_scalar_keeps_style);
  g_test_add_func ("/yaml-editor/set/refusals", test_set_scalar_refusals);
  g_test_add_func ("/yaml-editor/set/secret-reference", test_set_secret_reference);
  g_test_add_func ("/yaml-editor/remove", test_remove);
  g_test_add_func ("/yaml-editor/insert", test_insert);
  g_test_add_func ("/yaml-editor/insert-included", test_insert_included);
  g_test_add_func ("/yaml-editor/add-secret", test_add_secret);
  g_test_add_func ("/yaml-editor/commit-rollback", test_commit_rollback);
  g_test_add_func ("/yaml-editor/finish-changed-on-disk", test_finish_and_changed_on_disk);
  g_test_add_func ("/yaml-editor/reader-locations", test_reader_locations);
  return g_test_run ();
}
