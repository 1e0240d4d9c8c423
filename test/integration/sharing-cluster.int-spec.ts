import { describeSharing } from './sharing.suite';

describeSharing('cluster');
