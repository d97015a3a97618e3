/** The errno values the nvmf, bdev_nvme and raid modules answer with (the core's table). */
import { errno } from '../core/errno.js';

export { strerror } from '../core/errno.js';
export const { EPERM, EIO, ENOMEM, EACCES, EEXIST, ENODEV, EINVAL, EALREADY, ENOKEY } = errno;
