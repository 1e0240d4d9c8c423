import { describeImagesApi } from './images-api.suite';

describeImagesApi('embedded');
