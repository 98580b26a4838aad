/* The fs driver on a real loop and a temporary directory. */
#include <dirent.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "storage/fs.h"
#include "test.h"

static uv_loop_t *loop;
static int last_status;
static int calls;

static void done_cb(void *arg, int status)
{
    (void)arg;
    last_status = status;
    calls++;
}

static void run(void)
{
    uv_run(loop, UV_RUN_DEFAULT);
}

static int put(struct storage *st, const char *key, const char *data)
{
    struct storage_writer *w;
    int rc = st->ops->writer_open(st, key, &w);
    if (rc < 0)
        return rc;
    size_t len = strlen(data), half = len / 2;
    /* two writes: the MD5 covers both */
    st->ops->writer_write(w, data, half, done_cb, NULL);
    run();
    if (last_status < 0)
        return last_status;
    st->ops->writer_write(w, data + half, len - half, done_cb, NULL);
    run();
    st->ops->writer_finish(w, done_cb, NULL);
    run();
    return last_status;
}

struct collected {
    char keys[4096][64];
    char etags[4096][40];
    uint64_t sizes[4096];
    size_t n;
    int pages;
    size_t biggest_page;
    int status;
    bool last;
};

static struct storage_list *cur_list;
static struct storage *cur_st;

static void page_cb(void *arg, int status, const struct storage_entry *e, size_t n, bool last)
{
    struct collected *c = arg;
    c->status = status;
    c->pages++;
    if (n > c->biggest_page)
        c->biggest_page = n;
    for (size_t i = 0; i < n && c->n < 4096; i++, c->n++) {
        snprintf(c->keys[c->n], 64, "%s", e[i].key);
        snprintf(c->etags[c->n], 40, "%s", e[i].etag ? e[i].etag : "NULL");
        c->sizes[c->n] = e[i].size;
    }
    c->last = last;
    if (!last && status == 0)
        cur_st->ops->list_next(cur_list);
}

static void close_after_first_cb(void *arg, int status, const struct storage_entry *e, size_t n,
                                 bool last)
{
    struct collected *c = arg;
    c->pages++;
    cur_st->ops->list_close(cur_list);
}

static void list(struct storage *st, const char *prefix, struct collected *c)
{
    memset(c, 0, sizeof(*c));
    cur_st = st;
    CHECK_EQ(st->ops->list_start(st, prefix, page_cb, c, &cur_list), 0);
    run();
    st->ops->list_close(cur_list);
    CHECK(c->last);
}

static void md5_etag(const char *data, char out[40])
{
    unsigned char d[16];
    unsigned int n;
    EVP_Digest(data, strlen(data), d, &n, EVP_md5(), NULL);
    int k = snprintf(out, 40, "\"");
    for (int i = 0; i < 16; i++)
        k += snprintf(out + k, 40 - (size_t)k, "%02x", d[i]);
    snprintf(out + k, 40 - (size_t)k, "\"");
}

static int count_files(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    while (d && (de = readdir(d)))
        n += de->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static void test_keys(void)
{
    static const char *const bad[] = {
        "",      "/abs",   "a/../b",        "..",   ".", "a//b", "a/", "a\\b",
        "a/./b", "x\x01y", "../etc/passwd", "a/..", "\t"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_EQ(storage_key_check(bad[i], strlen(bad[i])), -EINVAL);
    CHECK_EQ(storage_key_check("a\0b", 3), -EINVAL);
    static const char *const good[] = {"a",   "a.csv",           "dir/sub/file.parquet", "...",
                                       "..a", "日本/データ.csv", "a b/c+d~e%f.csv"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        CHECK_EQ(storage_key_check(good[i], strlen(good[i])), 0);
    char longseg[300];
    memset(longseg, 'x', sizeof(longseg) - 1);
    longseg[sizeof(longseg) - 1] = 0;
    CHECK_EQ(storage_key_check(longseg, strlen(longseg)), -EINVAL);
    CHECK_EQ(storage_prefix_check("", 0), 0);
    CHECK_EQ(storage_prefix_check("2023/", 5), 0);
    CHECK_EQ(storage_prefix_check("../", 3), -EINVAL);
    CHECK_EQ(storage_prefix_check("/a", 2), -EINVAL);
}

int main(void)
{
    test_keys();
    loop = uv_default_loop();
    char dir[] = "/tmp/sp-fs-test-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char root[256], tmp[256], outside[256];
    snprintf(root, sizeof(root), "%s/stage", dir);
    snprintf(tmp, sizeof(tmp), "%s/tmp", dir);
    snprintf(outside, sizeof(outside), "%s/outside.txt", dir);
    mkdir(tmp, 0700);
    struct storage *st = storage_fs_new(loop, root, tmp);
    static struct collected c;

    /* an empty (not yet created) stage lists nothing */
    list(st, "", &c);
    CHECK_EQ(c.n, 0);
    CHECK_EQ(c.status, 0);

    const char *files[][2] = {{"books.parquet", "PAR1 data"},
                              {"2023/meta.log", "meta"},
                              {"2023/query.log", "query!"},
                              {"a.txt", "t"},
                              {"a/b", "bee"},
                              {"a.csv", "1,2,3\n"}};
    for (size_t i = 0; i < 6; i++)
        CHECK_EQ(put(st, files[i][0], files[i][1]), 0);
    CHECK_EQ(count_files(tmp), 0); /* temp files are gone after the rename */

    list(st, "", &c);
    const char *order[] = {"2023/meta.log", "2023/query.log", "a.csv", "a.txt",
                           "a/b",           "books.parquet"};
    CHECK_EQ(c.n, 6);
    for (size_t i = 0; i < 6 && i < c.n; i++)
        CHECK_STR(c.keys[i], order[i]);
    char etag[40];
    md5_etag("meta", etag);
    CHECK_STR(c.etags[0], etag);
    CHECK_EQ(c.sizes[1], 6);

    list(st, "20", &c);
    CHECK_EQ(c.n, 2);
    list(st, "2023/", &c);
    CHECK_EQ(c.n, 2);
    list(st, "2023/q", &c);
    CHECK(c.n == 1 && strcmp(c.keys[0], "2023/query.log") == 0);
    list(st, "a", &c);
    CHECK_EQ(c.n, 3);
    list(st, "nope/", &c);
    CHECK_EQ(c.n, 0);
    CHECK_EQ(st->ops->list_start(st, "../", page_cb, &c, &cur_list), -EINVAL);

    /* a file copied in by an operator, and one changed behind our back */
    char path[512];
    snprintf(path, sizeof(path), "%s/copied.csv", root);
    FILE *f = fopen(path, "w");
    fputs("x,y\n", f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/a.txt", root);
    f = fopen(path, "a");
    fputs("changed", f);
    fclose(f);
    /* a symlink to something outside is never listed or followed */
    f = fopen(outside, "w");
    fputs("secret", f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/link.txt", root);
    CHECK_EQ(symlink(outside, path), 0);
    list(st, "", &c);
    CHECK_EQ(c.n, 7);
    for (size_t i = 0; i < c.n; i++) {
        if (!strcmp(c.keys[i], "copied.csv") || !strcmp(c.keys[i], "a.txt"))
            CHECK_STR(c.etags[i], "NULL");
        CHECK(strcmp(c.keys[i], "link.txt") != 0);
    }

    /* an aborted upload leaves nothing, in the stage or in the temp dir */
    struct storage_writer *w;
    CHECK_EQ(st->ops->writer_open(st, "aborted.bin", &w), 0);
    st->ops->writer_write(w, "partial", 7, done_cb, NULL);
    run();
    st->ops->writer_abort(w);
    run();
    CHECK_EQ(count_files(tmp), 0);
    list(st, "aborted", &c);
    CHECK_EQ(c.n, 0);
    CHECK_EQ(st->ops->writer_open(st, "../escape", &w), -EINVAL);

    /* overwrite replaces */
    CHECK_EQ(put(st, "a.csv", "a longer body"), 0);
    list(st, "a.csv", &c);
    CHECK(c.n == 1 && c.sizes[0] == 13);

    /* remove: missing keys are fine, emptied directories go too */
    char *rm[] = {"2023/meta.log", "2023/query.log", "never-was"};
    CHECK_EQ(st->ops->remove(st, rm, 3, done_cb, NULL), 0);
    run();
    CHECK_EQ(last_status, 0);
    snprintf(path, sizeof(path), "%s/2023", root);
    CHECK(access(path, F_OK) != 0);
    char *bad_rm[] = {"../outside.txt"};
    CHECK_EQ(st->ops->remove(st, bad_rm, 1, done_cb, NULL), -EINVAL);
    CHECK(access(outside, F_OK) == 0);

    /* paging: 2,500 files in 5 directories come in sorted pages */
    for (int i = 0; i < 2500; i++) {
        char key[64];
        snprintf(key, sizeof(key), "many/d%d/f%04d", i % 5, i);
        snprintf(path, sizeof(path), "%s/many/d%d", root, i % 5);
        snprintf(path, sizeof(path), "%s/many", root);
        mkdir(path, 0755);
        snprintf(path, sizeof(path), "%s/many/d%d", root, i % 5);
        mkdir(path, 0755);
        snprintf(path, sizeof(path), "%s/%s", root, key);
        f = fopen(path, "w");
        fclose(f);
    }
    list(st, "many/", &c);
    CHECK_EQ(c.n, 2500);
    /* pages of at most 1,000; smaller ones when the walk waits for a directory */
    CHECK(c.pages >= 3);
    CHECK(c.biggest_page > 0 && c.biggest_page <= STORAGE_LIST_PAGE);
    bool sorted = true;
    for (size_t i = 1; i < c.n; i++)
        sorted &= strcmp(c.keys[i - 1], c.keys[i]) < 0;
    CHECK(sorted);

    /* a deep, uneven tree comes out in byte order, whatever the read-ahead does */
    const char *deep[] = {"t/a.b",   "t/a/b/c/d/e/f", "t/a/b/c/x",   "t/a/b0",
                          "t/a/b/z", "t/a-",          "t/b/1",       "t/b/2/3/4",
                          "t/c",     "t/d/e/f/g/h/i", "t/d/e/f/g/j", "t/e"};
    size_t ndeep = sizeof(deep) / sizeof(deep[0]);
    for (size_t i = 0; i < ndeep; i++)
        CHECK_EQ(put(st, deep[i], "x"), 0);
    for (int i = 0; i < 40; i++) {
        char key[64];
        snprintf(key, sizeof(key), "t/w/d%02d/f", i); /* more directories than read-ahead */
        CHECK_EQ(put(st, key, "y"), 0);
    }
    list(st, "t/", &c);
    CHECK_EQ(c.n, ndeep + 40);
    sorted = true;
    for (size_t i = 1; i < c.n; i++)
        sorted &= strcmp(c.keys[i - 1], c.keys[i]) < 0;
    CHECK(sorted);
    CHECK_STR(c.keys[0], "t/a-");
    CHECK_STR(c.keys[1], "t/a.b");
    CHECK_STR(c.keys[2], "t/a/b/c/d/e/f");
    CHECK_STR(c.keys[3], "t/a/b/c/x");

    /* closing after the first page, with directories still being read */
    memset(&c, 0, sizeof(c));
    cur_st = st;
    CHECK_EQ(st->ops->list_start(st, "", close_after_first_cb, &c, &cur_list), 0);
    run();
    CHECK_EQ(c.pages, 1);

    st->ops->destroy(st);
    uv_loop_close(loop);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    return test_finish("storage_fs");
}
