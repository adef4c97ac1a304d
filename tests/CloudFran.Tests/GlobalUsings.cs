// Namespaces nearly every file of this project uses; anything narrower is imported where it is used.
global using CloudFran.Abstractions.Errors;
global using CloudFran.Abstractions.Keys;
global using CloudFran.Tests.Infrastructure;
