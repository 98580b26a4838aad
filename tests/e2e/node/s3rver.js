// Starts the signature-verifying S3 test server (the package ships no
// working bin): node s3rver.js -d DIR -a 127.0.0.1 -p PORT --configure-bucket NAME
require('@20minutes/s3rver/lib/cli.js').parseAsync(['node', 's3rver', ...process.argv.slice(2)]);
