import { describeSharing } from './sharing.suite';

describeSharing('embedded');
