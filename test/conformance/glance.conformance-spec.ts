// The integration suites against the real Glance 25 (shared/peers/glance, trusted mode, new policy
// defaults): every case passes on both, or is marked as a documented difference (docs/compatibility.md).
import { describeImagesApi } from '../integration/images-api.suite';
import { describeSharing } from '../integration/sharing.suite';

describeImagesApi('glance');
describeSharing('glance');
