/* The S3 driver: keys are objects below a bucket and prefix, reached
 * through the shared S3 client on the loop. Uploads go to PutObject when
 * they fit in one part and to a multipart upload otherwise; an object
 * becomes visible only when PutObject or CompleteMultipartUpload succeeds. */
#ifndef SP_STORAGE_S3_H
#define SP_STORAGE_S3_H

#include "storage/s3_client.h"
#include "storage/storage.h"

/* The target is copied. NULL when out of memory. */
struct storage *storage_s3_new(struct s3_client *client, const struct s3_target *target);

#endif
